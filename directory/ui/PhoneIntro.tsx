/** PhoneIntro greets signed-out visitors (and invited friends) and explains the phone. */
export function PhoneIntro({ loading, invited = false }: { loading: boolean; invited?: boolean }) {
  return (
    <section class="phone-intro" aria-labelledby="intro-title" aria-busy={loading}>
      {invited ? (
        <>
          <p class="eyebrow invited-eyebrow">You were invited</p>
          <h1 id="intro-title" class="intro-title">
            You were invited — create your account.
          </h1>
          <p class="intro-lead">
            A friend wants you on livemall. Create your account on the right and you get a permanent 12-digit number
            of your own — pick one you like or take the next free one. Then find your friend in the directory.
          </p>
        </>
      ) : (
        <>
          <p class="eyebrow">livemall phone</p>
          <h1 id="intro-title" class="intro-title">
            A number that is yours for life.
          </h1>
          <p class="intro-lead">
            Join livemall and get a permanent 12-digit number. Call other members, talk to sales staff in any store of
            the mall, and pick up messages when you come back online.
          </p>
        </>
      )}
      <div class="phone-mock" aria-hidden="true">
        <div class="phone-mock-screen">
          <div class="phone-mock-avatar" />
          <div class="phone-mock-line w60" />
          <div class="phone-mock-line w40" />
          <div class="phone-mock-number">2000 0000 0001</div>
          <div class="phone-mock-buttons">
            <span class="pm-btn pm-decline" />
            <span class="pm-btn pm-accept" />
          </div>
        </div>
      </div>
      <ul class="intro-points">
        <li>No passwords: you sign in with a passkey on this device.</li>
        <li>Your number never changes and is never given to anyone else.</li>
      </ul>
    </section>
  );
}
