package auth_test

import (
	"testing"

	"github.com/livemall/livemall/backend/app/apptest"
)

// TestRevokeAccessSignsOutEverywhereAndCanRemovePasskeys: an operator's
// revoke ends every session of the account at once (each browser's next
// request is unauthorized), kills its unused recovery links, leaves other
// accounts alone, and with passkeys removed the old passkey no longer signs
// in while a new recovery link still lets the person back.
func TestRevokeAccessSignsOutEverywhereAndCanRemovePasskeys(t *testing.T) {
	a := apptest.New(t)
	ctx := t.Context()
	laptop := apptest.NewClient(t, a)
	laptop.SignUp("Vera Vault", "vera@example.com", "1985-05-05")
	acc := laptop.AccountID()
	phone := apptest.NewClient(t, a)
	phone.Cred, phone.Authr = laptop.Cred, laptop.Authr
	if r := phone.SignIn(); r.Status != 200 {
		t.Fatalf("second browser signs in: %d %s", r.Status, r.Body)
	}
	bystander := apptest.NewClient(t, a)
	bystander.SignUp("Ben Bystander", "ben@example.com", "1980-01-01")
	pending, err := a.Auth.IssueRecovery(ctx, acc, "test")
	if err != nil {
		t.Fatal(err)
	}

	r, err := a.Auth.RevokeAccess(ctx, acc, false)
	if err != nil || r.Sessions != 2 || r.Links != 1 || r.Passkeys != 0 {
		t.Fatalf("revoke: %+v %v, want 2 sessions, 1 link, 0 passkeys", r, err)
	}
	for name, c := range map[string]*apptest.Client{"laptop": laptop, "phone": phone} {
		apptest.Refused(t, name+" after revoke", c.Do("GET", "/api/v1/me", nil), 401, "unauthorized", "")
	}
	bystander.Must(200, "GET", "/api/v1/me", nil)
	apptest.Refused(t, "the recovery link issued before the revoke", apptest.NewClient(t, a).Do("GET", "/api/v1/auth/recoveries/"+pending, nil), 404, "not_found", "")
	// Without --passkeys the person signs in again with their passkey (its
	// counter moved on in the other browser).
	laptop.Cred.Counter = phone.Cred.Counter
	if r := laptop.SignIn(); r.Status != 200 {
		t.Fatalf("sign in again after a sessions-only revoke: %d %s", r.Status, r.Body)
	}

	r, err = a.Auth.RevokeAccess(ctx, acc, true)
	if err != nil || r.Sessions != 1 || r.Passkeys != 1 {
		t.Fatalf("revoke with passkeys: %+v %v, want 1 session and 1 passkey", r, err)
	}
	if n := passkeyCount(t, a, acc); n != 0 {
		t.Fatalf("passkeys left: %d", n)
	}
	if r := laptop.SignIn(); r.Status == 200 {
		t.Fatalf("a removed passkey still signs in: %s", r.Body)
	}
	token, err := a.Auth.IssueRecovery(ctx, acc, "test")
	if err != nil {
		t.Fatal(err)
	}
	fresh := apptest.NewClient(t, a)
	var b apptest.Begun
	fresh.Must(200, "POST", "/api/v1/auth/recoveries/"+token+"/begin", "{}").JSON(t, &b)
	fresh.Must(200, "POST", "/api/v1/auth/recoveries/"+token+"/finish", map[string]any{"ceremony": b.Ceremony, "credential": fresh.Register(b)})
	if fresh.AccountID() != acc {
		t.Fatal("the recovery link signed in another account")
	}
}
