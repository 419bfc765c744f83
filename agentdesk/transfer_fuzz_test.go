package agentdesk

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
)

// transferBodies are bodies of POST /desk/engagements/{entry}/transfer,
// good and bad, for the table and as the fuzz corpus.
var transferBodies = []struct {
	body string
	ok   bool
}{
	{`{"agentId":"acc_1","mode":"warm"}`, true},
	{`{"agentId":"acc_1","mode":"cold","reason":"Italian speaker"}`, true},
	{`{"store":"casa-cucina","reason":"copper pans"}`, true},
	{`{"store":"casa-cucina","mode":"cold"}`, true},
	{`{}`, false},
	{`{"agentId":"acc_1"}`, false},
	{`{"agentId":"acc_1","mode":"hot"}`, false},
	{`{"agentId":"acc_1","store":"casa-cucina","mode":"warm"}`, false},
	{`{"store":"casa-cucina","mode":"warm"}`, false},
	{`{"agentId":"acc_1","mode":"warm","reason":"` + strings.Repeat("é", 501) + `"}`, false},
	{`{"agentId":"` + strings.Repeat("a", 65) + `","mode":"warm"}`, false},
	{`{"store":"` + strings.Repeat("s", 65) + `"}`, false},
	{`{"agentId":"acc_1","mode":"warm","urgent":true}`, false},
	{`{"agentId":1,"mode":"warm"}`, false},
	{`[]`, false},
	{`{"agentId":"acc_1","mode":"warm"`, false},
}

// parseTransfer reads a transfer request as the route does.
func parseTransfer(body []byte) (TransferRequest, error) {
	var r TransferRequest
	if err := web.DecodeJSONBytes(body, &r); err != nil {
		return r, err
	}
	return r, r.check()
}

func TestTransferRequestIsCheckedBeforeAnythingIsRead(t *testing.T) {
	for _, c := range transferBodies {
		_, err := parseTransfer([]byte(c.body))
		if c.ok && err != nil {
			t.Errorf("%s refused: %v", c.body, err)
		}
		if !c.ok && (err == nil || apperr.Code(err) != apperr.Invalid) {
			t.Errorf("%s: %v, want an invalid error", c.body, err)
		}
	}
}

// FuzzTransferRequest feeds arbitrary bodies to the transfer request's
// parser: it never panics, and what it accepts names exactly one target,
// a mode a colleague can take, and a reason of bounded length.
func FuzzTransferRequest(f *testing.F) {
	for _, c := range transferBodies {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := parseTransfer(body)
		if err != nil {
			return
		}
		if (r.AgentID == "") == (r.Store == "") {
			t.Fatalf("accepted %q with targets %q and %q", body, r.AgentID, r.Store)
		}
		if r.AgentID != "" && r.Mode != TransferWarm && r.Mode != TransferCold {
			t.Fatalf("accepted %q with mode %q", body, r.Mode)
		}
		if len([]rune(r.Reason)) > maxTransferReason {
			t.Fatalf("accepted a reason of %d characters", len([]rune(r.Reason)))
		}
	})
}
