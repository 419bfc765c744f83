package agentdesk

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
)

// pageOrigin is the server's origin in these tests.
const pageOrigin = "https://localhost"

// snapshot wraps a body's children in a full-snapshot event of a page.
func snapshot(body string) string {
	return `{"type":2,"timestamp":1700000000000,"data":{"initialOffset":{"left":0,"top":0},"node":{"type":0,"id":1,"childNodes":[
		{"type":1,"id":2,"name":"html","publicId":"","systemId":""},
		{"type":2,"id":3,"tagName":"html","attributes":{},"childNodes":[
			{"type":2,"id":4,"tagName":"head","attributes":{},"childNodes":[]},
			{"type":2,"id":5,"tagName":"body","attributes":{"class":"mall"},"childNodes":[` + body + `]}]}]}}}`
}

// mutation wraps rrweb mutation lists in an incremental event.
func mutation(fields string) string {
	return `{"type":3,"timestamp":1700000000100,"data":{"source":0,` + fields + `}}`
}

// sanitize runs events through s and returns the cleaned batch as JSON.
func sanitize(t *testing.T, s *eventSanitizer, events ...string) string {
	t.Helper()
	raw := make([]json.RawMessage, len(events))
	for i, e := range events {
		raw[i] = json.RawMessage(e)
	}
	out, err := s.sanitizeEvents(raw)
	if err != nil {
		t.Fatalf("sanitize: %v", err)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func TestCobrowseEventsRefuseMalformedEvents(t *testing.T) {
	tests := []struct{ name, event, want string }{
		{"not an object", `"hello"`, "not an rrweb event"},
		{"array", `[1,2]`, "not an rrweb event"},
		{"truncated", `{"type":0,"data":{}`, "not an rrweb event"},
		{"unknown field", `{"type":0,"data":{},"timestamp":1,"html":"<b>"}`, `unknown field "html"`},
		{"no type", `{"data":{},"timestamp":1}`, "type must be one of rrweb's event types"},
		{"fractional type", `{"type":2.5,"data":{},"timestamp":1}`, "type must be one of"},
		{"null type", `{"type":null,"data":{},"timestamp":1}`, "type must be one of"},
		{"field in another case", `{"Type":0,"data":{},"timestamp":1}`, `unknown field "Type"`},
		{"type too big", `{"type":7,"data":{},"timestamp":1}`, "type must be one of rrweb's event types"},
		{"negative type", `{"type":-1,"data":{},"timestamp":1}`, "type must be one of"},
		{"string timestamp", `{"type":0,"data":{},"timestamp":"now"}`, "timestamp must be a number"},
		{"null timestamp", `{"type":0,"data":{},"timestamp":null}`, "timestamp must be a number"},
		{"no timestamp", `{"type":0,"data":{}}`, "timestamp must be a number"},
		{"no data", `{"type":0,"timestamp":1}`, "data must be a JSON object"},
		{"array data", `{"type":0,"data":[],"timestamp":1}`, "data must be a JSON object"},
		{"string data", `{"type":1,"data":"x","timestamp":1}`, "data must be a JSON object"},
		{"snapshot without node", `{"type":2,"data":{"initialOffset":{}},"timestamp":1}`, "needs its node tree"},
		{"node without type", `{"type":2,"data":{"node":{"id":1}},"timestamp":1}`, "node needs a type"},
		{"node of unknown type", `{"type":2,"data":{"node":{"type":9,"id":1}},"timestamp":1}`, "node needs a type"},
		{"node without id", `{"type":2,"data":{"node":{"type":0,"childNodes":[]}},"timestamp":1}`, "numeric id"},
		{"string id", `{"type":2,"data":{"node":{"type":0,"id":"1"}},"timestamp":1}`, "numeric id"},
		{"document with attributes", `{"type":2,"data":{"node":{"type":0,"id":1,"attributes":{"href":"javascript:x"}}},"timestamp":1}`, `has no field "attributes"`},
		{"text with a tag", snapshot(`{"type":3,"id":6,"textContent":"","tagName":"script"}`), `has no field "tagName"`},
		{"bad tag name", snapshot(`{"type":2,"id":6,"tagName":"img src=x onerror=alert(1)","attributes":{}}`), "valid tagName"},
		{"attributes not an object", snapshot(`{"type":2,"id":6,"tagName":"p","attributes":[]}`), "attributes as an object"},
		{"object attribute", snapshot(`{"type":2,"id":6,"tagName":"p","attributes":{"title":{"x":1}}}`), "must be text"},
		{"array attribute", snapshot(`{"type":2,"id":6,"tagName":"p","attributes":{"title":[1]}}`), "must be text"},
		{"children not an array", snapshot(`{"type":2,"id":6,"tagName":"p","attributes":{},"childNodes":{}}`), "childNodes must be an array"},
		{"child not an object", snapshot(`{"type":2,"id":6,"tagName":"p","attributes":{},"childNodes":[7]}`), "child node must be an object"},
		{"text without content", snapshot(`{"type":3,"id":6}`), "needs its textContent"},
		{"too deep", `{"type":2,"timestamp":1,"data":{"node":` + strings.Repeat(`{"type":2,"id":1,"tagName":"div","attributes":{},"childNodes":[`, 600) + strings.Repeat(`]}`, 600) + `}}`, "nested too deeply"},
		{"incremental without source", `{"type":3,"data":{},"timestamp":1}`, "needs a source"},
		{"unknown source", `{"type":3,"data":{"source":17},"timestamp":1}`, "needs a source"},
		{"input without text", `{"type":3,"data":{"source":5,"id":3},"timestamp":1}`, "node id and its text"},
		{"input without id", `{"type":3,"data":{"source":5,"text":"x"},"timestamp":1}`, "node id and its text"},
		{"adds not a list", mutation(`"adds":{}`), "adds must be an array"},
		{"adds of numbers", mutation(`"adds":[1]`), "adds must hold objects"},
		{"add without parent", mutation(`"adds":[{"node":{"type":3,"id":9,"textContent":""}}]`), "parentId and node"},
		{"add of a bad node", mutation(`"adds":[{"parentId":5,"node":{"type":2,"id":9}}]`), "valid tagName"},
		{"text change without id", mutation(`"texts":[{"value":"x"}]`), "needs the node id"},
		{"text change of a number", mutation(`"texts":[{"id":5,"value":3}]`), "text or null"},
		{"attribute change without attributes", mutation(`"attributes":[{"id":5}]`), "node id and its attributes"},
		{"attribute change to an object", mutation(`"attributes":[{"id":5,"attributes":{"href":{"a":"b"}}}]`), "must be text"},
		{"style change of numbers", mutation(`"attributes":[{"id":5,"attributes":{"style":{"color":1}}}]`), "style change must hold text"},
		{"removes not a list", mutation(`"removes":"all"`), "removes must be an array"},
		{"meta without href", `{"type":4,"data":{"width":1,"height":1},"timestamp":1}`, "page's href"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := `{"type":4,"data":{"href":"http://localhost/","width":800,"height":600},"timestamp":1}`
			_, err := newEventSanitizer(pageOrigin).sanitizeEvents([]json.RawMessage{json.RawMessage(good), json.RawMessage(tt.event)})
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), tt.want) {
				t.Fatalf("err = %v, want invalid with %q", err, tt.want)
			}
			if !strings.HasPrefix(apperr.Message(err), "co-browse event 2: ") {
				t.Fatalf("error %q does not say which event was refused", apperr.Message(err))
			}
		})
	}
}

func TestCobrowseSnapshotsLoseScriptsAndTypedValues(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		gone    []string // must not appear in the relayed JSON
		present []string // must still be there
	}{
		{"script element", `{"type":2,"id":6,"tagName":"script","attributes":{"src":"/x.js"},"childNodes":[{"type":3,"id":7,"textContent":"window.__pwned=1"}]}`,
			[]string{`"script"`, "__pwned", "/x.js"}, nil},
		{"SVG script in upper case", `{"type":2,"id":6,"tagName":"svg","isSVG":true,"attributes":{},"childNodes":[{"type":2,"id":7,"tagName":"SCRIPT","isSVG":true,"attributes":{},"childNodes":[{"type":3,"id":8,"textContent":"pwn()"}]}]}`,
			[]string{"SCRIPT", "pwn()"}, []string{`"svg"`}},
		{"event handler", `{"type":2,"id":6,"tagName":"img","attributes":{"src":"/a.png","onerror":"pwn()","ONLOAD":"pwn()","alt":"Boots"}}`,
			[]string{"onerror", "ONLOAD", "pwn()"}, []string{"/a.png", "Boots"}},
		{"javascript link", `{"type":2,"id":6,"tagName":"a","attributes":{"href":"javascript:pwn()","class":"x"}}`,
			[]string{"javascript", "pwn()"}, []string{`"class":"x"`}},
		{"disguised javascript link", `{"type":2,"id":6,"tagName":"a","attributes":{"href":" \u0001 JaVa\tScRi\npt:pwn()"}}`,
			[]string{"pwn()", "href"}, nil},
		{"vbscript source", `{"type":2,"id":6,"tagName":"img","attributes":{"src":"vbscript:msgbox(1)"}}`,
			[]string{"vbscript", "src"}, nil},
		{"html data URL", `{"type":2,"id":6,"tagName":"a","attributes":{"href":"data:text/html;base64,PHNjcmlwdD4="}}`,
			[]string{"data:text/html"}, nil},
		{"image data URL", `{"type":2,"id":6,"tagName":"img","attributes":{"src":"data:image/png;base64,iVBORw0KGgo="}}`,
			nil, []string{"data:image/png"}},
		{"plain link", `{"type":2,"id":6,"tagName":"a","attributes":{"href":"https://localhost/store/x"}}`,
			nil, []string{"https://localhost/store/x"}},
		{"form action", `{"type":2,"id":6,"tagName":"form","attributes":{"action":"javascript:pwn()"},"childNodes":[{"type":2,"id":7,"tagName":"button","attributes":{"formaction":"JAVASCRIPT:pwn()"}}]}`,
			[]string{"action", "pwn()"}, []string{`"button"`}},
		{"SVG xlink", `{"type":2,"id":6,"tagName":"svg","isSVG":true,"attributes":{},"childNodes":[{"type":2,"id":7,"tagName":"a","isSVG":true,"attributes":{"xlink:href":"javascript:pwn()"}}]}`,
			[]string{"xlink", "pwn()"}, nil},
		{"SVG animation to a script URL", `{"type":2,"id":6,"tagName":"set","isSVG":true,"attributes":{"attributeName":"href","to":"javascript:pwn()"}}`,
			[]string{"pwn()"}, []string{"attributeName"}},
		{"srcdoc", `{"type":2,"id":6,"tagName":"div","attributes":{"srcdoc":"<script>pwn()</script>"}}`,
			[]string{"srcdoc", "pwn()"}, []string{`"div"`}},
		{"frames and plugins", `{"type":2,"id":6,"tagName":"iframe","attributes":{"src":"/x"}},{"type":2,"id":7,"tagName":"object","attributes":{"data":"/x.swf"}},{"type":2,"id":8,"tagName":"embed","attributes":{"src":"/x.swf"}},{"type":2,"id":9,"tagName":"frame","attributes":{}}`,
			[]string{"iframe", "object", "embed", "frame", "/x"}, nil},
		{"base element", `{"type":2,"id":6,"tagName":"base","attributes":{"href":"https://evil.example/"}}`,
			[]string{"evil.example"}, nil},
		{"input value", `{"type":2,"id":6,"tagName":"input","attributes":{"type":"password","value":"hunter2"}}`,
			[]string{"hunter2"}, []string{`"value":"******"`}},
		{"textarea value and text", `{"type":2,"id":6,"tagName":"textarea","attributes":{"value":"my address"},"childNodes":[{"type":3,"id":7,"textContent":"my address"}]}`,
			[]string{"my address"}, []string{`"value":"******"`, `"textContent":"******"`}},
		{"select value", `{"type":2,"id":6,"tagName":"SELECT","attributes":{"value":"visa"}}`,
			[]string{"visa"}, []string{`"value":"******"`}},
		{"value of another element", `{"type":2,"id":6,"tagName":"li","attributes":{"value":"3"}}`,
			nil, []string{`"value":"3"`}},
		{"a mask hides the length", `{"type":2,"id":6,"tagName":"input","attributes":{"value":"pässwörd-and-then-some"}}`,
			[]string{"pässwörd"}, []string{`"value":"******"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := sanitize(t, newEventSanitizer(pageOrigin), snapshot(tt.body))
			for _, g := range tt.gone {
				if strings.Contains(out, g) {
					t.Fatalf("%q still in %s", g, out)
				}
			}
			for _, p := range append(tt.present, `"body"`, `"class":"mall"`) {
				if !strings.Contains(out, p) {
					t.Fatalf("%q missing from %s", p, out)
				}
			}
		})
	}
}

func TestCobrowseMutationsLoseScriptsAndTypedValues(t *testing.T) {
	s := newEventSanitizer(pageOrigin)
	sanitize(t, s, snapshot(`{"type":2,"id":6,"tagName":"textarea","attributes":{},"childNodes":[]},{"type":2,"id":8,"tagName":"p","attributes":{},"childNodes":[{"type":3,"id":9,"textContent":"Price"}]}`))

	tests := []struct {
		name    string
		event   string
		gone    []string
		present []string
	}{
		{"added script and what goes into it later",
			mutation(`"adds":[{"parentId":5,"nextId":null,"node":{"type":2,"id":20,"tagName":"script","attributes":{},"childNodes":[]}},{"parentId":20,"nextId":null,"node":{"type":3,"id":21,"textContent":"window.__pwned=1"}},{"parentId":5,"nextId":null,"node":{"type":2,"id":22,"tagName":"em","attributes":{},"childNodes":[]}}]`),
			[]string{"script", "__pwned", `"id":20`, `"id":21`}, []string{`"id":22`}},
		{"text and attributes of a dropped node",
			mutation(`"texts":[{"id":21,"value":"pwn()"}],"attributes":[{"id":20,"attributes":{"src":"/evil.js"}}],"adds":[{"parentId":21,"nextId":null,"node":{"type":3,"id":23,"textContent":"pwn()"}}]`),
			[]string{"pwn()", "evil.js", `"id":23`}, nil},
		{"added element with a handler",
			mutation(`"adds":[{"parentId":5,"nextId":null,"node":{"type":2,"id":24,"tagName":"img","attributes":{"src":"/x.png","onerror":"pwn()"},"childNodes":[]}}]`),
			[]string{"onerror", "pwn()"}, []string{"/x.png"}},
		{"attribute changes",
			mutation(`"attributes":[{"id":8,"attributes":{"onclick":"pwn()","href":"javascript:pwn()","class":"sale","value":"typed","style":{"color":"red","margin":["1px","important"],"border":false}}}]`),
			[]string{"pwn()", "typed", "javascript"}, []string{`"onclick":null`, `"href":null`, `"class":"sale"`, `"value":"******"`, `"color":"red"`}},
		{"added input with a value",
			mutation(`"adds":[{"parentId":5,"nextId":null,"node":{"type":2,"id":25,"tagName":"input","attributes":{"value":"4242 4242"},"childNodes":[]}}]`),
			[]string{"4242"}, []string{`"value":"******"`}},
		{"text typed into a textarea",
			mutation(`"adds":[{"parentId":6,"nextId":null,"node":{"type":3,"id":26,"textContent":"secret note"}}]`),
			[]string{"secret note"}, []string{`"textContent":"******"`}},
		{"text changed in a textarea, and elsewhere",
			mutation(`"texts":[{"id":26,"value":"changed secret"},{"id":9,"value":"Sale price"}]`),
			[]string{"changed secret"}, []string{`"value":"******"`, `"value":"Sale price"`}},
		{"removes pass",
			mutation(`"removes":[{"parentId":5,"id":22}]`),
			nil, []string{`"removes":[{"id":22,"parentId":5}]`}},
		{"typed input",
			`{"type":3,"timestamp":1,"data":{"source":5,"id":6,"text":"hunter2","isChecked":false,"userTriggered":true}}`,
			[]string{"hunter2"}, []string{`"text":"******"`, `"isChecked":false`}},
		{"mouse moves pass",
			`{"type":3,"timestamp":1,"data":{"source":1,"positions":[{"x":10,"y":20,"id":5,"timeOffset":-5}]}}`,
			nil, []string{`"positions":[{"id":5,"timeOffset":-5,"x":10,"y":20}]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := sanitize(t, s, tt.event)
			for _, g := range tt.gone {
				if strings.Contains(out, g) {
					t.Fatalf("%q still in %s", g, out)
				}
			}
			for _, p := range tt.present {
				if !strings.Contains(out, p) {
					t.Fatalf("%q missing from %s", p, out)
				}
			}
		})
	}

	// A new full snapshot starts over: node 20 is an ordinary element now.
	out := sanitize(t, s, snapshot(`{"type":2,"id":20,"tagName":"b","attributes":{},"childNodes":[]}`),
		mutation(`"adds":[{"parentId":20,"nextId":null,"node":{"type":3,"id":21,"textContent":"Bold"}}]`))
	if !strings.Contains(out, `"textContent":"Bold"`) {
		t.Fatalf("text under a reused id was dropped: %s", out)
	}
}

func TestCobrowseSanitizerMasksEverythingOnceItStopsTracking(t *testing.T) {
	s := newEventSanitizer(pageOrigin)
	s.saturated = true
	out := sanitize(t, s, mutation(`"texts":[{"id":9,"value":"Sale price"}]`))
	if !strings.Contains(out, `"value":"******"`) {
		t.Fatalf("saturated sanitizer relayed text unmasked: %s", out)
	}
}

func TestCobrowseEventsKeepTheirNumbersExact(t *testing.T) {
	out := sanitize(t, newEventSanitizer(pageOrigin), `{"type":3,"timestamp":1732623456789,"delay":5,"data":{"source":3,"id":1,"x":0,"y":1234.5}}`)
	if !strings.Contains(out, `"timestamp":1732623456789`) || !strings.Contains(out, `"y":1234.5`) {
		t.Fatalf("numbers changed: %s", out)
	}
}

// checkRelayable fails unless the events are safe to replay on the desk:
// no dropped element, handler or script URL in any node or attribute
// change, and every typed value masked.
func checkRelayable(t *testing.T, events []json.RawMessage) {
	t.Helper()
	var walk func(n map[string]any)
	checkAttrs := func(tag string, attrs map[string]any) {
		for k, v := range attrs {
			lower := strings.ToLower(strings.TrimSpace(k))
			if (strings.HasPrefix(lower, "on") || lower == "srcdoc") && v != nil {
				t.Fatalf("attribute %s=%v relayed", k, v)
			}
			if s, ok := v.(string); ok {
				if dangerousURL(s) {
					t.Fatalf("script URL %s=%q relayed", k, s)
				}
				if (lower == "value" && (tag == "" || maskedElements[tag]) || strings.HasPrefix(lower, "data-")) && s != "" && s != maskedText {
					t.Fatalf("typed value %s=%q relayed", k, s)
				}
				if removedAttributes[lower] || (urlAttributes[lower] && !newEventSanitizer(pageOrigin).ownURL(s)) {
					t.Fatalf("attribute %s=%q relayed", k, s)
				}
			}
		}
	}
	walk = func(n map[string]any) {
		if tag, ok := n["tagName"].(string); ok {
			tag = strings.ToLower(tag)
			if droppedElements[tag] {
				t.Fatalf("element %s relayed", tag)
			}
			attrs, _ := n["attributes"].(map[string]any)
			checkAttrs(tag, attrs)
		}
		children, _ := n["childNodes"].([]any)
		for _, c := range children {
			if child, ok := c.(map[string]any); ok {
				walk(child)
			}
		}
	}
	for _, raw := range events {
		var e struct {
			Type int            `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("relayed event %s does not decode: %v", raw, err)
		}
		switch {
		case e.Type == rrFullSnapshot:
			walk(e.Data["node"].(map[string]any))
		case e.Type == rrIncrementalSnapshot && e.Data["source"] == float64(rrInput):
			if s := e.Data["text"].(string); s != "" && s != maskedText {
				t.Fatalf("typed text %q relayed", s)
			}
		case e.Type == rrIncrementalSnapshot && e.Data["source"] == float64(rrMutation):
			adds, _ := e.Data["adds"].([]any)
			for _, a := range adds {
				walk(a.(map[string]any)["node"].(map[string]any))
			}
			changes, _ := e.Data["attributes"].([]any)
			for _, ch := range changes {
				attrs, _ := ch.(map[string]any)["attributes"].(map[string]any)
				checkAttrs("", attrs)
			}
		}
	}
}

func FuzzCobrowseEvents(f *testing.F) {
	seeds := []string{
		snapshot(`{"type":2,"id":6,"tagName":"input","attributes":{"value":"x","onfocus":"y"}},{"type":2,"id":7,"tagName":"script","attributes":{},"childNodes":[]}`),
		snapshot(`{"type":2,"id":6,"tagName":"textarea","attributes":{},"childNodes":[{"type":3,"id":7,"textContent":"t"}]}`),
		mutation(`"adds":[{"parentId":5,"nextId":null,"node":{"type":2,"id":20,"tagName":"a","attributes":{"href":"javascript:x"},"childNodes":[]}}],"texts":[],"attributes":[{"id":5,"attributes":{"value":"v","style":{"c":"d"}}}],"removes":[]`),
		`{"type":3,"timestamp":1,"data":{"source":5,"id":6,"text":"hunter2","isChecked":false}}`,
		snapshot(`{"type":2,"id":6,"tagName":"link","attributes":{"rel":"stylesheet","href":"//evil.example/a.css"}},{"type":2,"id":7,"tagName":"style","attributes":{},"childNodes":[{"type":3,"id":8,"textContent":"@import 'https://evil.example/x.css'"}]},{"type":2,"id":9,"tagName":"div","attributes":{"contenteditable":"","data-x":"y","style":"background:url(https://evil.example/i.png)"},"childNodes":[{"type":3,"id":10,"textContent":"typed"}]}`),
		mutation(`"attributes":[{"id":9,"attributes":{"src":"https://evil.example/","checked":"","values":"a;javascript:x"}}],"texts":[{"id":8,"value":"a{b:url(//evil.example)}"}]`),
		`{"type":3,"timestamp":1,"data":{"source":10,"family":"F","fontSource":"url(https://evil.example/f)"}}`,
		`{"type":4,"timestamp":1,"data":{"href":"http://localhost/","width":1,"height":2}}`,
		`{"type":0,"timestamp":1,"data":{}}`,
		`{"type":9}`,
		`[]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte(seeds[2]))
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		s := newEventSanitizer(pageOrigin)
		var out []json.RawMessage
		for _, raw := range [][]byte{first, second} {
			clean, err := s.sanitizeEvents([]json.RawMessage{raw})
			if err != nil {
				if apperr.Code(err) != apperr.Invalid {
					t.Fatalf("non-invalid error %v", err)
				}
				continue
			}
			checkRelayable(t, clean)
			out = append(out, clean...)
		}
		// What was relayed comes through a second pass unchanged.
		if len(out) > 0 {
			again, err := newEventSanitizer(pageOrigin).sanitizeEvents(out)
			if err != nil {
				t.Fatalf("relayed events refused on a second pass: %v", err)
			}
			a, _ := json.Marshal(out)
			b, _ := json.Marshal(again)
			if string(a) != string(b) {
				t.Fatalf("second pass changed\n%s\ninto\n%s", a, b)
			}
		}
	})
}

func TestCobrowseReplayFetchesNothingFromOtherOrigins(t *testing.T) {
	const evil = "evil.example"
	tests := []struct {
		name    string
		body    string
		gone    []string
		present []string
	}{
		{"stylesheet of another origin", `{"type":2,"id":6,"tagName":"link","attributes":{"rel":"stylesheet","href":"https://evil.example/x.css"}}`,
			[]string{evil, `"link"`}, nil},
		{"protocol-relative stylesheet", `{"type":2,"id":6,"tagName":"link","attributes":{"rel":"Stylesheet","href":" //evil.example/x.css"}}`,
			[]string{evil, `"link"`}, nil},
		{"backslashed stylesheet", `{"type":2,"id":6,"tagName":"link","attributes":{"rel":"stylesheet","href":"/\\evil.example/x.css"}}`,
			[]string{evil, `"link"`}, nil},
		{"prefetch, preconnect and icon links", `{"type":2,"id":6,"tagName":"link","attributes":{"rel":"prefetch","href":"/x"}},{"type":2,"id":7,"tagName":"link","attributes":{"rel":"preconnect","href":"https://evil.example"}},{"type":2,"id":8,"tagName":"LINK","attributes":{"rel":"icon","href":"/favicon.svg"}}`,
			[]string{evil, `"link"`, "LINK", "favicon"}, nil},
		{"the server's own stylesheet stays", `{"type":2,"id":6,"tagName":"link","attributes":{"rel":"stylesheet","href":"https://localhost/assets/mall.css"}},{"type":2,"id":7,"tagName":"link","attributes":{"rel":"stylesheet","href":"/assets/theme.css"}}`,
			nil, []string{"https://localhost/assets/mall.css", "/assets/theme.css"}},
		{"image of another origin", `{"type":2,"id":6,"tagName":"img","attributes":{"src":"http://evil.example/p.png","srcset":"/a.png 1x, https://evil.example/b.png 2x","alt":"x"}},{"type":2,"id":7,"tagName":"video","attributes":{"poster":"https://evil.example/p.jpg"}}`,
			[]string{evil, "srcset", "poster"}, []string{`"alt":"x"`}},
		{"image of another port", `{"type":2,"id":6,"tagName":"img","attributes":{"src":"https://localhost:8443/p.png"}}`,
			[]string{"8443"}, []string{`"img"`}},
		{"image with credentials", `{"type":2,"id":6,"tagName":"img","attributes":{"src":"https://user@localhost/p.png"}}`,
			[]string{"user@"}, nil},
		{"own images stay", `{"type":2,"id":6,"tagName":"img","attributes":{"src":"/api/v1/stores/x/products/y/image.svg","srcset":"/a.png 1x, https://localhost/b.png 2x"}},{"type":2,"id":7,"tagName":"img","attributes":{"src":"data:image/png;base64,iVBORw0KGgo="}}`,
			nil, []string{"/api/v1/stores/x/products/y/image.svg", "https://localhost/b.png 2x", "data:image/png"}},
		{"SVG use and image of another origin", `{"type":2,"id":6,"tagName":"svg","isSVG":true,"attributes":{},"childNodes":[{"type":2,"id":7,"tagName":"use","isSVG":true,"attributes":{"href":"https://evil.example/s.svg#a"}},{"type":2,"id":8,"tagName":"image","isSVG":true,"attributes":{"xlink:href":"//evil.example/i.png"}}]}`,
			[]string{evil}, []string{`"use"`, `"image"`}},
		{"meta refresh", `{"type":2,"id":6,"tagName":"meta","attributes":{"http-equiv":"refresh","content":"0;url=https://evil.example/"}},{"type":2,"id":7,"tagName":"META","attributes":{"HTTP-EQUIV":"Set-Cookie","content":"a=b"}}`,
			[]string{evil, "meta", "META", "refresh", "Set-Cookie"}, nil},
		{"form actions", `{"type":2,"id":6,"tagName":"form","attributes":{"action":"https://evil.example/collect","method":"post"},"childNodes":[{"type":2,"id":7,"tagName":"button","attributes":{"formaction":"/api/v1/orders"}}]}`,
			[]string{evil, "action", "/api/v1/orders"}, []string{`"method":"post"`, `"button"`}},
		{"pings", `{"type":2,"id":6,"tagName":"a","attributes":{"href":"/cart","ping":"https://evil.example/p"}}`,
			[]string{evil, "ping"}, []string{`"href":"/cart"`}},
		{"SVG animation values with a script URL", `{"type":2,"id":6,"tagName":"animate","isSVG":true,"attributes":{"attributeName":"href","values":"#a; JaVaScRiPt:pwn()","dur":"1s"}},{"type":2,"id":7,"tagName":"set","isSVG":true,"attributes":{"attributeName":"href","from":"https://evil.example/"}}`,
			[]string{"pwn()", "values", evil}, []string{`"attributeName":"href"`, `"dur":"1s"`}},
		{"harmless SVG animation values stay", `{"type":2,"id":6,"tagName":"animate","isSVG":true,"attributes":{"attributeName":"opacity","values":"0;0.5;1"}}`,
			nil, []string{`"values":"0;0.5;1"`}},
		{"CSS url() of another origin in a style attribute", `{"type":2,"id":6,"tagName":"div","attributes":{"style":"color: red; background: URL( 'https://evil.example/bg.png' ) no-repeat; mask: url(//evil.example/m.svg)"}}`,
			[]string{evil}, []string{"color: red", `url(\"\") no-repeat`}},
		{"CSS url() of the server stays", `{"type":2,"id":6,"tagName":"div","attributes":{"style":"background:url(/assets/bg.png)"}}`,
			nil, []string{"url(/assets/bg.png)"}},
		{"style element with imports and image sets", `{"type":2,"id":6,"tagName":"style","attributes":{},"childNodes":[{"type":3,"id":7,"textContent":"@import \"https://evil.example/a.css\"; .x{background-image:image-set('https://evil.example/i.png' 1x)} .y{background:url(https://evil.example/y.png)}"}]}`,
			[]string{evil}, []string{"@import", ".x{", ".y{"}},
		{"CSS written with escapes", `{"type":2,"id":6,"tagName":"div","attributes":{"style":"background: \\75 rl(https://evil.example/e.png)"}}`,
			[]string{evil, "rl("}, []string{`"style":""`}},
		{"inlined stylesheet text", `{"type":2,"id":6,"tagName":"link","attributes":{"rel":"stylesheet","_cssText":"@font-face{src:url(https://evil.example/f.woff)}"}}`,
			[]string{evil}, []string{"@font-face"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := sanitize(t, newEventSanitizer(pageOrigin), snapshot(tt.body))
			for _, g := range tt.gone {
				if strings.Contains(out, g) {
					t.Fatalf("%q still in %s", g, out)
				}
			}
			for _, p := range append(tt.present, `"body"`, `"class":"mall"`) {
				if !strings.Contains(out, p) {
					t.Fatalf("%q missing from %s", p, out)
				}
			}
		})
	}

	// Later changes: attributes, styles, a stylesheet's text, rules, fonts.
	s := newEventSanitizer(pageOrigin)
	sanitize(t, s, snapshot(`{"type":2,"id":6,"tagName":"style","attributes":{},"childNodes":[{"type":3,"id":7,"textContent":".a{}"}]},{"type":2,"id":8,"tagName":"img","attributes":{"src":"/a.png"}}`))
	changes := []struct{ name, event, present string }{
		{"attribute change to another origin", mutation(`"attributes":[{"id":8,"attributes":{"src":"https://evil.example/x.png","http-equiv":"refresh","action":"https://evil.example/"}}]`), `"src":null`},
		{"style change to another origin", mutation(`"attributes":[{"id":8,"attributes":{"style":{"background-image":"url(https://evil.example/s.png)","border-image":["url('//evil.example/b.png')","important"]}}}]`), `"background-image":"url(\"\")"`},
		{"stylesheet text changed", mutation(`"texts":[{"id":7,"value":".b{background:url(https://evil.example/t.png)}"}]`), `.b{background:url(\"\")}`},
		{"style text added", mutation(`"adds":[{"parentId":6,"nextId":null,"node":{"type":3,"id":9,"textContent":".c{background:url(https://evil.example/c.png)}"}}]`), `.c{background:url(\"\")}`},
		{"stylesheet rule", `{"type":3,"timestamp":1,"data":{"source":8,"id":6,"adds":[{"rule":".d{background:url(https://evil.example/d.png)}","index":0}]}}`, `.d{background:url(\"\")}`},
		{"style declaration", `{"type":3,"timestamp":1,"data":{"source":13,"id":6,"index":[0],"set":{"property":"background","value":"url(https://evil.example/e.png)"}}}`, `"value":"url(\"\")"`},
		{"font source", `{"type":3,"timestamp":1,"data":{"source":10,"family":"X","fontSource":"url(https://evil.example/f.woff)","buffer":false}}`, `"fontSource":"url(\"\")"`},
	}
	for _, ch := range changes {
		t.Run(ch.name, func(t *testing.T) {
			out := sanitize(t, s, ch.event)
			if strings.Contains(out, evil) || strings.Contains(out, "refresh") || !strings.Contains(out, ch.present) {
				t.Fatalf("relayed %s, want %s and nothing of %s", out, ch.present, evil)
			}
		})
	}
	_, err := s.sanitizeEvents([]json.RawMessage{json.RawMessage(`{"type":3,"timestamp":1,"data":{"source":9,"id":6,"type":0,"commands":[{"property":"drawImage","args":[{"rr_type":"HTMLImageElement","src":"https://evil.example/c.png"}]}]}}`)})
	if apperr.Code(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), "canvas") {
		t.Fatalf("canvas mutation: err = %v, want invalid", err)
	}
}

func TestCobrowseMasksChoicesEditableTextAndDataAttributes(t *testing.T) {
	s := newEventSanitizer(pageOrigin)
	out := sanitize(t, s, snapshot(`
		{"type":2,"id":6,"tagName":"input","attributes":{"type":"checkbox","checked":true,"name":"gift"}},
		{"type":2,"id":7,"tagName":"input","attributes":{"type":"radio","checked":"","value":"RADIO-SENTINEL"}},
		{"type":2,"id":8,"tagName":"select","attributes":{"value":"SELECT-SENTINEL"},"childNodes":[
			{"type":2,"id":9,"tagName":"option","attributes":{"value":"SELECT-SENTINEL","selected":true},"childNodes":[{"type":3,"id":10,"textContent":"Express"}]}]},
		{"type":2,"id":11,"tagName":"div","attributes":{"contenteditable":"true"},"childNodes":[
			{"type":3,"id":12,"textContent":"EDITABLE-SENTINEL"},
			{"type":2,"id":13,"tagName":"b","attributes":{},"childNodes":[{"type":3,"id":14,"textContent":"NESTED-SENTINEL"}]}]},
		{"type":2,"id":15,"tagName":"div","attributes":{"contenteditable":"false"},"childNodes":[{"type":3,"id":16,"textContent":"Plain words"}]},
		{"type":2,"id":17,"tagName":"section","attributes":{"data-customer":"DATA-SENTINEL","data-empty":""}},
		{"type":2,"id":18,"tagName":"input","attributes":{"type":"text","value":"x"}},
		{"type":2,"id":19,"tagName":"input","attributes":{"type":"text","value":"a much longer typed value"}}`))
	for _, leak := range []string{"RADIO-SENTINEL", "SELECT-SENTINEL", "EDITABLE-SENTINEL", "NESTED-SENTINEL", "DATA-SENTINEL", "checked", "selected", "longer"} {
		if strings.Contains(out, leak) {
			t.Fatalf("%q relayed: %s", leak, out)
		}
	}
	for _, want := range []string{`"name":"gift"`, `"textContent":"Express"`, `"textContent":"Plain words"`, `"data-customer":"******"`, `"data-empty":""`} {
		if !strings.Contains(out, want) {
			t.Fatalf("%s missing from %s", want, out)
		}
	}
	// A one-letter value and a long one look the same.
	if strings.Count(out, `"value":"******"`) != 5 {
		t.Fatalf("want 5 values masked alike: %s", out)
	}

	later := []struct{ name, event, leak, present string }{
		{"box ticked", `{"type":3,"timestamp":1,"data":{"source":5,"id":6,"text":"on","isChecked":true}}`, `"isChecked":true`, `"isChecked":false`},
		{"radio chosen", `{"type":3,"timestamp":1,"data":{"source":5,"id":7,"text":"RADIO-SENTINEL","isChecked":true}}`, "RADIO-SENTINEL", `"text":"******"`},
		{"option chosen", mutation(`"attributes":[{"id":9,"attributes":{"selected":"","value":"SELECT-SENTINEL"}},{"id":6,"attributes":{"checked":""}}]`), "SELECT-SENTINEL", `"selected":null`},
		{"text typed into the editable element", mutation(`"texts":[{"id":12,"value":"EDITABLE-SENTINEL-2"}],"adds":[{"parentId":13,"nextId":null,"node":{"type":3,"id":20,"textContent":"ADDED-SENTINEL"}}]`), "SENTINEL", `"value":"******"`},
		{"data attribute changed", mutation(`"attributes":[{"id":17,"attributes":{"data-customer":"DATA-SENTINEL-2"}}]`), "DATA-SENTINEL", `"data-customer":"******"`},
		{"element made editable later", mutation(`"attributes":[{"id":15,"attributes":{"contenteditable":""}}],"texts":[{"id":16,"value":"LATER-SENTINEL"}]`), "LATER-SENTINEL", `"value":"******"`},
	}
	for _, l := range later {
		t.Run(l.name, func(t *testing.T) {
			out := sanitize(t, s, l.event)
			if strings.Contains(out, l.leak) || !strings.Contains(out, l.present) {
				t.Fatalf("relayed %s, want %s and no %s", out, l.present, l.leak)
			}
		})
	}
}
