package agentdesk

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
)

func TestBoardDrawAcceptsWellFormedItems(t *testing.T) {
	good := []struct {
		data, kind string
	}{
		{`{"entryId":"qe_1","kind":"stroke","points":[[0,0]]}`, "stroke"},
		{`{"entryId":"qe_1","kind":"stroke","points":[[0.1,0.2],[1,1]],"color":"#AbCdEf","width":24}`, "stroke"},
		{`{"entryId":"qe_1","kind":"text","text":"Größe 42 ✓","x":0,"y":1}`, "text"},
		{`{"entryId":"qe_1","kind":"product","sku":"VR-BAROLO-18","x":0.5,"y":0.5}`, "product"},
	}
	for _, g := range good {
		d, err := parseBoardDraw([]byte(g.data))
		if err != nil {
			t.Fatalf("%s: %v", g.data, err)
		}
		it, _ := d.item()
		if it.Kind != g.kind {
			t.Fatalf("%s: kind %s", g.data, it.Kind)
		}
	}
	d, _ := parseBoardDraw([]byte(`{"entryId":"qe_1","kind":"stroke","points":[[0.123456,0.5]],"color":"#AbCdEf"}`))
	it, _ := d.item()
	if it.Color != "#abcdef" || it.Width != boardDefaultLine || it.Points[0][0] != 0.1235 {
		t.Fatalf("normalized stroke: %+v", it)
	}
}

func TestBoardDrawRefusesBadItems(t *testing.T) {
	long := strings.Repeat("[0.1,0.1],", boardMaxPoints) + "[0.1,0.1]"
	bad := []struct{ name, data string }{
		{"empty", ``},
		{"null", `null`},
		{"not an object", `[1,2]`},
		{"no entry", `{"kind":"stroke","points":[[0,0]]}`},
		{"long entry", `{"entryId":"` + strings.Repeat("q", 65) + `","kind":"stroke","points":[[0,0]]}`},
		{"no kind", `{"entryId":"qe_1","points":[[0,0]]}`},
		{"unknown kind", `{"entryId":"qe_1","kind":"circle","x":0,"y":0}`},
		{"unknown field", `{"entryId":"qe_1","kind":"stroke","points":[[0,0]],"onclick":"x"}`},
		{"no points", `{"entryId":"qe_1","kind":"stroke"}`},
		{"empty points", `{"entryId":"qe_1","kind":"stroke","points":[]}`},
		{"too many points", `{"entryId":"qe_1","kind":"stroke","points":[` + long + `]}`},
		{"short point", `{"entryId":"qe_1","kind":"stroke","points":[[0.1]]}`},
		{"3d point", `{"entryId":"qe_1","kind":"stroke","points":[[0.1,0.1,0.1]]}`},
		{"negative", `{"entryId":"qe_1","kind":"stroke","points":[[-0.1,0.1]]}`},
		{"beyond", `{"entryId":"qe_1","kind":"stroke","points":[[0.1,1.01]]}`},
		{"string point", `{"entryId":"qe_1","kind":"stroke","points":[["a","b"]]}`},
		{"thin", `{"entryId":"qe_1","kind":"stroke","points":[[0,0]],"width":0.5}`},
		{"fat", `{"entryId":"qe_1","kind":"stroke","points":[[0,0]],"width":25}`},
		{"named colour", `{"entryId":"qe_1","kind":"stroke","points":[[0,0]],"color":"red"}`},
		{"css injection", `{"entryId":"qe_1","kind":"stroke","points":[[0,0]],"color":"#fff;background:url(x)"}`},
		{"short colour", `{"entryId":"qe_1","kind":"stroke","points":[[0,0]],"color":"#fff"}`},
		{"stroke with text", `{"entryId":"qe_1","kind":"stroke","points":[[0,0]],"text":"x"}`},
		{"stroke with place", `{"entryId":"qe_1","kind":"stroke","points":[[0,0]],"x":0.1,"y":0.1}`},
		{"text without place", `{"entryId":"qe_1","kind":"text","text":"hi"}`},
		{"text without y", `{"entryId":"qe_1","kind":"text","text":"hi","x":0.1}`},
		{"text off board", `{"entryId":"qe_1","kind":"text","text":"hi","x":2,"y":0.1}`},
		{"blank text", `{"entryId":"qe_1","kind":"text","text":"   ","x":0.1,"y":0.1}`},
		{"long text", `{"entryId":"qe_1","kind":"text","text":"` + strings.Repeat("é", boardMaxText+1) + `","x":0.1,"y":0.1}`},
		{"multi-line text", `{"entryId":"qe_1","kind":"text","text":"a\nb","x":0.1,"y":0.1}`},
		{"text with points", `{"entryId":"qe_1","kind":"text","text":"a","x":0.1,"y":0.1,"points":[[0,0]]}`},
		{"text with sku", `{"entryId":"qe_1","kind":"text","text":"a","x":0.1,"y":0.1,"sku":"X"}`},
		{"product without sku", `{"entryId":"qe_1","kind":"product","x":0.1,"y":0.1}`},
		{"product with bad sku", `{"entryId":"qe_1","kind":"product","sku":"../x","x":0.1,"y":0.1}`},
		{"product with text", `{"entryId":"qe_1","kind":"product","sku":"X","text":"cheap!","x":0.1,"y":0.1}`},
		{"product without place", `{"entryId":"qe_1","kind":"product","sku":"X"}`},
		{"x as string", `{"entryId":"qe_1","kind":"text","text":"a","x":"0.1","y":0.1}`},
	}
	for _, b := range bad {
		if _, err := parseBoardDraw([]byte(b.data)); err == nil {
			t.Errorf("%s: accepted", b.name)
		} else if apperr.Code(err) != apperr.Invalid {
			t.Errorf("%s: %v, want invalid", b.name, err)
		}
	}
}

func TestBoardEraseRefusesBadInput(t *testing.T) {
	if d, err := parseBoardErase([]byte(`{"entryId":"qe_1","itemId":7}`)); err != nil || *d.ItemID != 7 {
		t.Fatalf("good erase: %v", err)
	}
	for _, b := range []string{``, `null`, `{}`, `{"entryId":"qe_1"}`, `{"itemId":1}`, `{"entryId":"qe_1","itemId":0}`,
		`{"entryId":"qe_1","itemId":-3}`, `{"entryId":"qe_1","itemId":"1"}`, `{"entryId":"qe_1","itemId":1.5}`, `{"entryId":"","itemId":1}`} {
		if _, err := parseBoardErase([]byte(b)); err == nil {
			t.Errorf("%s: accepted", b)
		}
	}
}

func FuzzBoardDraw(f *testing.F) {
	f.Add(`{"entryId":"qe_1","kind":"stroke","points":[[0.1,0.2],[1,1]],"color":"#abcdef","width":3}`)
	f.Add(`{"entryId":"qe_1","kind":"text","text":"hello","x":0.2,"y":0.3}`)
	f.Add(`{"entryId":"qe_1","kind":"product","sku":"VR-DECANT","x":0.5,"y":0.5}`)
	f.Add(`{"entryId":"qe_1","itemId":3}`)
	f.Fuzz(func(t *testing.T, data string) {
		parseBoardErase([]byte(data))
		d, err := parseBoardDraw([]byte(data))
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("%q: %v is not invalid", data, err)
			}
			return
		}
		it, _ := d.item()
		if it.Kind != d.Kind {
			t.Fatalf("kind changed")
		}
		for _, p := range it.Points {
			if p[0] < 0 || p[0] > 1 || p[1] < 0 || p[1] > 1 {
				t.Fatalf("point off the board: %v", p)
			}
		}
		if (it.Kind == boardText) != (it.Text != "") {
			t.Fatalf("text on a %s: %q", it.Kind, it.Text)
		}
	})
}
