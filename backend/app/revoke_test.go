package app

import (
	"testing"
)

// TestRevokeAccessSignsOutEverywhereAndCanRemovePasskeys: an operator's
// revoke ends every session of the account at once (each browser's next
// request is unauthorized), kills its unused recovery links, leaves other
// accounts alone, and with passkeys removed the old passkey no longer signs
// in while a new recovery link still lets the person back.
func TestRevokeAccessSignsOutEverywhereAndCanRemovePasskeys(t *testing.T) {
	a := newTestApp(t)
	ctx := t.Context()
	laptop := newClient(t, a)
	laptop.signUp("Vera Vault", "vera@example.com", "1985-05-05")
	acc := laptop.accountID()
	phone := newClient(t, a)
	phone.cred, phone.authr = laptop.cred, laptop.authr
	if r := phone.signIn(); r.Status != 200 {
		t.Fatalf("second browser signs in: %d %s", r.Status, r.Body)
	}
	bystander := newClient(t, a)
	bystander.signUp("Ben Bystander", "ben@example.com", "1980-01-01")
	pending, err := a.Auth.IssueRecovery(ctx, acc, "test")
	if err != nil {
		t.Fatal(err)
	}

	r, err := a.Auth.RevokeAccess(ctx, acc, false)
	if err != nil || r.Sessions != 2 || r.Links != 1 || r.Passkeys != 0 {
		t.Fatalf("revoke: %+v %v, want 2 sessions, 1 link, 0 passkeys", r, err)
	}
	for name, c := range map[string]*client{"laptop": laptop, "phone": phone} {
		refused(t, name+" after revoke", c.do("GET", "/api/v1/me", nil), 401, "unauthorized", "")
	}
	bystander.must(200, "GET", "/api/v1/me", nil)
	refused(t, "the recovery link issued before the revoke", newClient(t, a).do("GET", "/api/v1/auth/recoveries/"+pending, nil), 404, "not_found", "")
	// Without --passkeys the person signs in again with their passkey (its
	// counter moved on in the other browser).
	laptop.cred.Counter = phone.cred.Counter
	if r := laptop.signIn(); r.Status != 200 {
		t.Fatalf("sign in again after a sessions-only revoke: %d %s", r.Status, r.Body)
	}

	r, err = a.Auth.RevokeAccess(ctx, acc, true)
	if err != nil || r.Sessions != 1 || r.Passkeys != 1 {
		t.Fatalf("revoke with passkeys: %+v %v, want 1 session and 1 passkey", r, err)
	}
	if n := passkeyCount(t, a, acc); n != 0 {
		t.Fatalf("passkeys left: %d", n)
	}
	if r := laptop.signIn(); r.Status == 200 {
		t.Fatalf("a removed passkey still signs in: %s", r.Body)
	}
	token, err := a.Auth.IssueRecovery(ctx, acc, "test")
	if err != nil {
		t.Fatal(err)
	}
	fresh := newClient(t, a)
	var b begun
	fresh.must(200, "POST", "/api/v1/auth/recoveries/"+token+"/begin", "{}").json(t, &b)
	fresh.must(200, "POST", "/api/v1/auth/recoveries/"+token+"/finish", map[string]any{"ceremony": b.Ceremony, "credential": fresh.register(b)})
	if fresh.accountID() != acc {
		t.Fatal("the recovery link signed in another account")
	}
}
