/** Under a group the user is no longer in (removed, or left): why the composer is off. */
export function LeftGroupBar() {
  return (
    <section className="left-group-bar" aria-label="Group membership">
      <p className="left-group-text">
        <strong>You are no longer in this group.</strong> You can still read its messages, but you can't send new ones.
      </p>
    </section>
  );
}
