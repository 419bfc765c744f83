package mall

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsePresenceRequest(t *testing.T) {
	if slug, err := ParsePresenceRequest([]byte(`{"store":"casa-cucina"}`)); err != nil || slug != "casa-cucina" {
		t.Fatalf("good body: %q, %v", slug, err)
	}
	bad := []struct{ name, body, message string }{
		{"empty", ``, "ends too early"},
		{"missing store", `{}`, `"store" is required`},
		{"empty store", `{"store":""}`, `"store" is required`},
		{"upper case", `{"store":"Casa"}`, "store slug"},
		{"number", `{"store":1}`, "must be"},
		{"unknown field", `{"store":"a","x":1}`, "unknown field"},
		{"array", `[]`, "JSON object"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePresenceRequest([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("error %v, want %q", err, tt.message)
			}
		})
	}
}

func TestNewVisitorViewShowsFirstNameOnly(t *testing.T) {
	tests := []struct{ name, first, initials string }{
		{"Ana Lima", "Ana", "AL"},
		{"  bo  ", "bo", "B"},
		{"Émile de la Tour", "Émile", "ÉT"},
		{"", "Member", "?"},
	}
	for _, tt := range tests {
		v := NewVisitorView("acc-1", tt.name)
		if v.Name != tt.first || v.Initials != tt.initials {
			t.Errorf("%q shown as %+v, want %s %s", tt.name, v, tt.first, tt.initials)
		}
	}
	if NewVisitorView("acc-1", "A").Color != NewVisitorView("acc-1", "B").Color {
		t.Error("a member's colour changes with their name")
	}
}

func FuzzParsePresenceRequest(f *testing.F) {
	for _, s := range []string{`{"store":"casa-cucina"}`, `{}`, `{"store":"../x"}`, `{"store":null}`, `[`, `{"store":"a"} 1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		slug, err := ParsePresenceRequest(body)
		if err != nil {
			return
		}
		if _, err := ParseSlug(slug); err != nil {
			t.Fatalf("accepted slug %q fails ParseSlug: %v", slug, err)
		}
		if !utf8.ValidString(slug) || strings.ContainsAny(slug, "/. ") {
			t.Fatalf("accepted unsafe slug %q", slug)
		}
	})
}

func FuzzNewVisitorView(f *testing.F) {
	f.Add("id", "Ana Lima")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, id, name string) {
		v := NewVisitorView(id, name)
		if v.Name == "" || v.Initials == "" || len(v.Color) != 7 {
			t.Fatalf("%q shown as %+v", name, v)
		}
		if strings.ContainsAny(v.Name, " \t\n") {
			t.Fatalf("first name %q holds a space", v.Name)
		}
	})
}
