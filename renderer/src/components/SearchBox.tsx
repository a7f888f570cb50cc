/** The search field. Escape clears it; Ctrl/Cmd+K (handled by the layout) focuses it. */
import type { RefObject } from 'react';
import { SearchIcon } from './icons.tsx';

interface SearchBoxProps {
  value: string;
  onChange: (value: string) => void;
  inputRef: RefObject<HTMLInputElement | null>;
}

export function SearchBox({ value, onChange, inputRef }: SearchBoxProps) {
  return (
    <div className="search">
      <SearchIcon className="search-icon" />
      <input
        ref={inputRef}
        type="search"
        className="search-input"
        aria-label="Search messages"
        placeholder="Search"
        aria-keyshortcuts="Control+K Meta+K"
        autoComplete="off"
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && value) {
            e.preventDefault();
            onChange('');
          }
        }}
      />
      <kbd className="search-hint" aria-hidden="true">
        Ctrl K
      </kbd>
    </div>
  );
}
