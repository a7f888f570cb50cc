/**
 * A list of contacts to tick (who goes in a group): a checkbox each, named by the contact, and a
 * filter once the list is long. Used by New group and by Add people.
 */
import { useId, useState } from 'react';
import type { ContactBrief } from '../../../core/api/types.ts';
import { Avatar } from './Avatar.tsx';

/** Past this many people the list gets a filter field. */
const FILTER_FROM = 7;

interface ContactChecklistProps {
  /** The legend: what the ticks are for ("People", "Add to the group"). */
  legend: string;
  contacts: ContactBrief[];
  chosen: ReadonlySet<string>;
  onToggle: (contactId: string, on: boolean) => void;
  /** Focus the first checkbox (or the filter) when the list opens. */
  autoFocus?: boolean;
}

export function ContactChecklist({ legend, contacts, chosen, onToggle, autoFocus = false }: ContactChecklistProps) {
  const id = useId();
  const [filter, setFilter] = useState('');
  const withFilter = contacts.length >= FILTER_FROM;
  const needle = filter.trim().toLocaleLowerCase();
  const shown = needle ? contacts.filter((c) => c.displayName.toLocaleLowerCase().includes(needle)) : contacts;
  return (
    <fieldset className="checklist">
      <legend className="setting-title">
        {legend}
        <span className="checklist-count" aria-live="polite">
          {chosen.size > 0 ? ` · ${chosen.size} chosen` : ''}
        </span>
      </legend>
      {withFilter && (
        <div className="field checklist-filter">
          <label htmlFor={`${id}-filter`} className="sr-only">
            Find a contact
          </label>
          <input
            id={`${id}-filter`}
            type="search"
            placeholder="Find a contact"
            autoComplete="off"
            value={filter}
            data-autofocus={autoFocus ? true : undefined}
            onChange={(e) => setFilter(e.target.value)}
          />
        </div>
      )}
      <div className="checklist-box">
        {shown.length > 0 ? (
          <ul className="checklist-items">
            {shown.map((c, i) => (
              <li key={c.id}>
                <label className="checklist-item">
                  <input
                    type="checkbox"
                    checked={chosen.has(c.id)}
                    data-autofocus={autoFocus && !withFilter && i === 0 ? true : undefined}
                    onChange={(e) => onToggle(c.id, e.target.checked)}
                  />
                  <Avatar id={c.id} title={c.displayName} size="small" />
                  <span className="checklist-name">{c.displayName}</span>
                </label>
              </li>
            ))}
          </ul>
        ) : (
          <p className="list-note">No contact matches “{filter.trim()}”.</p>
        )}
      </div>
    </fieldset>
  );
}
