/** "Today", "Yesterday", "Monday, 12 March" between the days of a conversation (read as text). */
export function DaySeparator({ label }: { label: string }) {
  return (
    <div className="day-separator">
      <span>{label}</span>
    </div>
  );
}
