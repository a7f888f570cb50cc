/** The reasons behind a rating, as core wrote them: ✓/✗, text, points out of max. */
import type { Rating } from '../../../core/api/types.ts';

export function SecurityReasons({ rating }: { rating: Rating }) {
  return (
    <ul className="reasons" aria-label="Reasons">
      {rating.reasons.map((reason) => (
        <li key={reason.criterion} className={reason.passed ? 'reason reason-pass' : 'reason reason-fail'}>
          <span className="reason-mark" aria-hidden="true">
            {reason.passed ? '✓' : '✗'}
          </span>
          <span className="sr-only">{reason.passed ? 'Passed:' : 'Not met:'}</span>
          <span className="reason-text">{reason.text}</span>
          <span className="reason-points">
            {reason.points}/{reason.max}
          </span>
        </li>
      ))}
    </ul>
  );
}
