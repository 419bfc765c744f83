import { useCallback, useEffect, useState } from 'preact/hooks';
import { accountLinkFrom } from '../../backend/web/ui/accountLink';
import { AnswerNote, useAnswerFromURL } from './AnswerFromURL';
import { AccountPanel } from '../../backend/web/ui/AccountPanel';
import type { Account } from '../../backend/web/ui/api';
import { AppFrame } from '../../backend/web/ui/AppFrame';
import { errorMessage, useSession, type Session } from '../../backend/web/ui/session';
import { UnverifiedBanner, VerifyOutcome, type VerifyResult } from './Banners';
import type { CallMode } from '../../media/client/call';
import { CallPanel, type CallTarget } from './CallPanel';
import { DialPad } from './DialPad';
import { Directory } from './Directory';
import { directoryApi, type MyPhone } from './directoryApi';
import { IncomingCalls } from './IncomingCalls';
import { InviteCard } from './InviteCard';
import { Mailbox } from './Mailbox';
import { MemberEnroll } from './MemberEnroll';
import { PhoneCard } from './PhoneCard';
import { PhoneIntro } from './PhoneIntro';
import { useCalls } from './useCalls';
import { usePhoneSignal } from './usePhoneSignal';

const params = new URLSearchParams(location.search);

const modeKey = 'lm_call_mode';

/** storedMode is how this member last chose to call (video by default). */
function storedMode(): CallMode {
  try {
    const m = localStorage.getItem(modeKey);
    return m === 'voice' || m === 'avatar' ? m : 'video';
  } catch {
    return 'video';
  }
}

/** dropParam removes a one-time parameter from the address bar. */
function dropParam(name: string) {
  const url = new URL(location.href);
  if (!url.searchParams.has(name)) return;
  url.searchParams.delete(name);
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}

/** App is the phone: sign in or join when signed out; your phone and the directory when signed in. */
export function App() {
  const session = useSession();
  const account = session.account;
  const [link, setLink] = useState(() => accountLinkFrom(params));
  const [invited] = useState(() => params.get('invite') !== null);
  const [verify, setVerify] = useState<VerifyResult | null>(null);
  const [verifiedNow, setVerifiedNow] = useState(0);

  // A verification link: redeem it once, then drop the token from the URL.
  useEffect(() => {
    const token = params.get('verify');
    if (!token) return;
    dropParam('verify');
    setVerify({ kind: 'busy' });
    directoryApi.verify(token).then(
      () => {
        setVerify({ kind: 'ok' });
        setVerifiedNow((n) => n + 1);
      },
      (e: unknown) => setVerify({ kind: 'error', message: errorMessage(e) }),
    );
  }, []);

  useEffect(() => {
    if (account && invited) dropParam('invite');
  }, [account, invited]);

  let view;
  if (link) {
    view = (
      <div class="page-narrow-inner">
        <MemberEnroll
          link={link}
          session={session}
          onDone={() => {
            dropParam('enroll');
            dropParam('recover');
            setLink(null);
          }}
        />
      </div>
    );
  } else if (account) {
    view = <SignedInPhone session={session} account={account} verifiedNow={verifiedNow} />;
  } else {
    view = (
      <div class="grid-2 signed-out-grid">
        <PhoneIntro loading={session.loading} invited={invited} />
        <AccountPanel
          session={session}
          allowSignUp
          allowVanity
          signUpLead={invited ? 'Welcome! It takes a minute and needs no password.' : undefined}
          signInHint="Members sign in with the passkey saved on this device — no username, no password."
        />
      </div>
    );
  }

  return (
    <AppFrame
      app="phone"
      account={account}
      mainClass={`page ${account && !link ? 'page-phone' : 'page-narrow'}`}
      error={session.error}
      footer="Your number is yours for life. Calls go straight from your browser; missed ones can leave you a message."
    >
      {verify && <VerifyOutcome result={verify} onDismiss={() => setVerify(null)} />}
      {view}
    </AppFrame>
  );
}

/** SignedInPhone lays out the member's phone, the dial pad and the directory. */
function SignedInPhone({ session, account, verifiedNow }: { session: Session; account: Account; verifiedNow: number }) {
  const signal = usePhoneSignal(account.id);
  const [phone, setPhone] = useState<MyPhone | null>(null);
  const [loadError, setLoadError] = useState('');
  const calls = useCalls(signal);
  const answering = useAnswerFromURL(calls, signal);
  const [answerNoteShown, setAnswerNoteShown] = useState(true);
  const [mode, setModeState] = useState<CallMode>(storedMode);
  const [callsChanged, setCallsChanged] = useState(0);

  const load = useCallback(async () => {
    try {
      setPhone(await directoryApi.me());
      setLoadError('');
    } catch (e) {
      setLoadError(errorMessage(e));
    }
  }, []);

  // Reload on sign-in, after a verification, and whenever the socket
  // (re)connects, so the device list shows this browser online.
  useEffect(() => {
    void load();
  }, [account.id, verifiedNow, signal.hello, load]);

  const setMode = useCallback((m: CallMode) => {
    setModeState(m);
    try {
      localStorage.setItem(modeKey, m);
    } catch {
      // Not remembered then.
    }
  }, []);

  const call = useCallback(
    (t: CallTarget) => calls.client.dial(t.number, mode, { name: t.name, number: t.number, display: t.display }),
    [calls.client, mode],
  );

  // A call that ends refreshes the history.
  const current = calls.snap.call;
  const ended = current?.phase === 'ended' ? current.endedAt : null;
  useEffect(() => {
    if (ended) setCallsChanged((n) => n + 1);
  }, [ended]);

  return (
    <>
      {answerNoteShown && <AnswerNote wait={answering} onDismiss={() => setAnswerNoteShown(false)} />}
      {phone && !phone.emailVerified && <UnverifiedBanner email={account.email} />}
      <div class="phone-layout">
        <div class="phone-col">
          <PhoneCard account={account} phone={phone} loadError={loadError} onPhone={setPhone} signal={signal} />
          <AccountPanel session={session} />
        </div>
        <div class="phone-main">
          <DialPad signal={signal} onCall={call} mode={mode} onMode={setMode} />
          <div id="mailbox">
            <Mailbox accountId={account.id} signal={signal} callsChanged={callsChanged} />
          </div>
          <Directory accountId={account.id} signal={signal} onCall={call} mode={mode} myInterests={phone?.interests ?? []} />
          <InviteCard />
        </div>
      </div>
      {current && <CallPanel call={current} client={calls.client} selfName={account.name} />}
      <IncomingCalls snap={calls.snap} client={calls.client} />
    </>
  );
}
