package agentdesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/livemall/livemall/backend/apperr"
)

// rrweb's event types (EventType in @rrweb/types) that co-browse relays:
// DomContentLoaded 0, Load 1, FullSnapshot 2, IncrementalSnapshot 3, Meta 4,
// Custom 5, Plugin 6. Asset and Annotation are not produced by the mall's
// recorder and are refused.
const (
	rrFullSnapshot        = 2
	rrIncrementalSnapshot = 3
	rrMeta                = 4
	rrLastEventType       = 6
)

// rrweb's incremental sources that carry DOM or typed text; the others
// (mouse, scroll, viewport, media, styles, fonts, selection…) are relayed as
// they are, once their source is known.
const (
	rrMutation          = 0
	rrInput             = 5
	rrLastSource        = 16
	rrNodeDocument      = 0
	rrNodeElement       = 2
	rrNodeText          = 3
	rrLastNodeType      = 5
	maxTrackedNodeIDs   = 50_000
	maxSanitizeNodeDeep = 512
)

// droppedElements never reach the desk: they run code or open another
// document inside the replay.
var droppedElements = map[string]bool{
	"script": true, "iframe": true, "frame": true, "frameset": true, "object": true,
	"embed": true, "applet": true, "base": true, "portal": true, "noscript": true,
}

// maskedElements hold typed values: their value never leaves the server.
var maskedElements = map[string]bool{"input": true, "textarea": true, "select": true}

// dangerousSchemes are URL schemes that run code or render a document; an
// attribute whose value starts with one is dropped, whatever its name (href,
// src, action, formaction, xlink:href, and SVG animation values alike).
var dangerousSchemes = []string{
	"javascript:", "vbscript:", "livescript:",
	"data:text/html", "data:application/xhtml", "data:text/xml", "data:application/xml", "data:image/svg+xml",
}

// tagNamePattern is what an element name may look like (HTML, SVG and
// custom elements).
var tagNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._:-]{0,63}$`)

// eventSanitizer checks and cleans one shopper's rrweb stream. It remembers,
// across messages, which node ids were dropped (so their children are
// dropped too) and which belong to a textarea (so their text is masked).
type eventSanitizer struct {
	mu        sync.Mutex
	dropped   map[int64]bool
	textareas map[int64]bool
	// secret marks text nodes inside a textarea.
	secret map[int64]bool
	// saturated is set once the page had more nodes of these kinds than
	// are tracked: from then on every text change is masked.
	saturated bool
}

func newEventSanitizer() *eventSanitizer {
	s := &eventSanitizer{}
	s.reset()
	return s
}

func (s *eventSanitizer) reset() {
	s.dropped, s.textareas, s.secret, s.saturated = map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, false
}

func (s *eventSanitizer) remember(set map[int64]bool, id int64) {
	if len(s.dropped)+len(s.textareas)+len(s.secret) >= maxTrackedNodeIDs {
		s.saturated = true
		return
	}
	set[id] = true
}

// eventFields are the fields of an rrweb event, spelled exactly.
var eventFields = map[string]bool{"type": true, "data": true, "timestamp": true, "delay": true}

// nodeFields are the fields of rrweb-snapshot's serializedNodeWithId, by
// node type; anything else in a node is refused.
var nodeFields = func() [rrLastNodeType + 1]map[string]bool {
	common := []string{"type", "id", "rootId", "isShadowHost", "isShadow"}
	byType := [rrLastNodeType + 1][]string{
		{"childNodes", "compatMode"},                                              // document
		{"name", "publicId", "systemId"},                                          // doctype
		{"tagName", "attributes", "childNodes", "isSVG", "needBlock", "isCustom"}, // element
		{"textContent", "isStyle"},                                                // text
		{"textContent"},                                                           // CDATA
		{"textContent"},                                                           // comment
	}
	var out [rrLastNodeType + 1]map[string]bool
	for i, names := range byType {
		out[i] = map[string]bool{}
		for _, n := range append(names, common...) {
			out[i][n] = true
		}
	}
	return out
}()

// eventError is the refusal of one event of a batch, in words for the user.
func eventError(i int, format string, args ...any) error {
	return apperr.New(apperr.Invalid, "co-browse event %d: "+format, append([]any{i + 1}, args...)...)
}

// sanitizeEvents checks each event's shape and returns the events as they
// may reach the desk: script-free and with every typed value masked. A
// malformed event refuses the whole batch.
func (s *eventSanitizer) sanitizeEvents(raw []json.RawMessage) ([]json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]json.RawMessage, 0, len(raw))
	for i, r := range raw {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(r, &fields); err != nil || fields == nil {
			return nil, eventError(i, "not an rrweb event {type, data, timestamp}")
		}
		for k := range fields {
			if !eventFields[k] {
				return nil, eventError(i, "unknown field %q", k)
			}
		}
		var typ int
		if !decodeNumber(fields["type"], &typ) || typ < 0 || typ > rrLastEventType {
			return nil, eventError(i, "type must be one of rrweb's event types 0 to %d", rrLastEventType)
		}
		var timestamp float64
		if !decodeNumber(fields["timestamp"], &timestamp) {
			return nil, eventError(i, "timestamp must be a number")
		}
		data, err := decodeObject(fields["data"])
		if err != nil {
			return nil, eventError(i, "data must be a JSON object")
		}
		if err := s.sanitizeData(typ, data); err != nil {
			return nil, eventError(i, "%s", err.Error())
		}
		clean, err := json.Marshal(map[string]any{"type": typ, "data": data, "timestamp": timestamp})
		if err != nil {
			return nil, eventError(i, "cannot be encoded again")
		}
		out = append(out, clean)
	}
	return out, nil
}

// decodeNumber decodes a JSON number into dst; null and absence fail.
func decodeNumber(raw json.RawMessage, dst any) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return false
	}
	return json.Unmarshal(raw, dst) == nil
}

// decodeObject decodes one JSON object, keeping numbers exact.
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 {
		return nil, errors.New("missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	return m, nil
}

func (s *eventSanitizer) sanitizeData(typ int, data map[string]any) error {
	switch typ {
	case rrFullSnapshot:
		node, ok := data["node"].(map[string]any)
		if !ok {
			return errors.New("a full snapshot needs its node tree")
		}
		s.reset()
		keep, err := s.sanitizeNode(node, "", 0)
		if err != nil {
			return err
		}
		if !keep {
			return errors.New("a full snapshot's root cannot be a script or a frame")
		}
	case rrIncrementalSnapshot:
		source, ok := intOf(data["source"])
		if !ok || source < 0 || source > rrLastSource {
			return errors.New("an incremental snapshot needs a source from 0 to 16")
		}
		switch source {
		case rrMutation:
			return s.sanitizeMutation(data)
		case rrInput:
			text, ok := data["text"].(string)
			if _, hasID := intOf(data["id"]); !ok || !hasID {
				return errors.New("an input event needs the node id and its text")
			}
			data["text"] = mask(text)
		}
	case rrMeta:
		if _, ok := data["href"].(string); !ok {
			return errors.New("a meta event needs the page's href")
		}
	}
	return nil
}

// sanitizeNode checks a serialized node (rrweb-snapshot's serializedNode)
// and cleans it in place; keep is false when the whole node must go.
// parentTag is the lower-case tag of the element holding it.
func (s *eventSanitizer) sanitizeNode(n map[string]any, parentTag string, depth int) (keep bool, err error) {
	if depth > maxSanitizeNodeDeep {
		return false, errors.New("the page is nested too deeply")
	}
	typ, ok := intOf(n["type"])
	if !ok || typ < 0 || typ > rrLastNodeType {
		return false, errors.New("a node needs a type from 0 to 5")
	}
	id, ok := intOf(n["id"])
	if !ok {
		return false, errors.New("a node needs a numeric id")
	}
	for k := range n {
		if !nodeFields[typ][k] {
			return false, fmt.Errorf("a node of type %d has no field %q", typ, k)
		}
	}
	tag := ""
	switch typ {
	case rrNodeElement:
		name, _ := n["tagName"].(string)
		if !tagNamePattern.MatchString(name) {
			return false, errors.New("an element needs a valid tagName")
		}
		tag = strings.ToLower(name)
		if droppedElements[tag] {
			s.dropTree(n)
			return false, nil
		}
		attrs, ok := n["attributes"].(map[string]any)
		if !ok {
			return false, errors.New("an element needs its attributes as an object")
		}
		if err := sanitizeAttributes(tag, attrs, func(name string) { delete(attrs, name) }); err != nil {
			return false, err
		}
		if tag == "textarea" {
			s.remember(s.textareas, id)
		}
	case rrNodeText, rrNodeText + 1, rrNodeText + 2: // text, CDATA, comment
		text, ok := n["textContent"].(string)
		if !ok {
			return false, errors.New("a text node needs its textContent")
		}
		if parentTag == "textarea" {
			n["textContent"] = mask(text)
			s.remember(s.secret, id)
		}
	}
	children, has := n["childNodes"]
	if !has {
		return true, nil
	}
	list, ok := children.([]any)
	if !ok {
		return false, errors.New("childNodes must be an array")
	}
	kept := list[:0]
	for _, c := range list {
		child, ok := c.(map[string]any)
		if !ok {
			return false, errors.New("a child node must be an object")
		}
		keepChild, err := s.sanitizeNode(child, tag, depth+1)
		if err != nil {
			return false, err
		}
		if keepChild {
			kept = append(kept, child)
		}
	}
	n["childNodes"] = kept
	return true, nil
}

// dropTree remembers the ids of a dropped node and its descendants, so that
// later mutations inside it are dropped too.
func (s *eventSanitizer) dropTree(n map[string]any) {
	if id, ok := intOf(n["id"]); ok {
		s.remember(s.dropped, id)
	}
	children, _ := n["childNodes"].([]any)
	for _, c := range children {
		if child, ok := c.(map[string]any); ok {
			s.dropTree(child)
		}
	}
}

// sanitizeMutation cleans an rrweb mutation: {texts, attributes, removes,
// adds}.
func (s *eventSanitizer) sanitizeMutation(data map[string]any) error {
	adds, err := objectList(data, "adds")
	if err != nil {
		return err
	}
	keptAdds := make([]any, 0, len(adds))
	for _, a := range adds {
		parent, ok := intOf(a["parentId"])
		node, isNode := a["node"].(map[string]any)
		if !ok || !isNode {
			return errors.New("an added node needs its parentId and node")
		}
		if s.dropped[parent] {
			s.dropTree(node)
			continue
		}
		parentTag := ""
		if s.textareas[parent] {
			parentTag = "textarea"
		}
		keep, err := s.sanitizeNode(node, parentTag, 0)
		if err != nil {
			return err
		}
		if keep {
			keptAdds = append(keptAdds, a)
		}
	}
	data["adds"] = keptAdds

	texts, err := objectList(data, "texts")
	if err != nil {
		return err
	}
	keptTexts := make([]any, 0, len(texts))
	for _, t := range texts {
		id, ok := intOf(t["id"])
		if !ok {
			return errors.New("a text change needs the node id")
		}
		if s.dropped[id] {
			continue
		}
		if v, isText := t["value"].(string); isText && (s.secret[id] || s.saturated) {
			t["value"] = mask(v)
		} else if !isText && t["value"] != nil {
			return errors.New("a text change's value must be text or null")
		}
		keptTexts = append(keptTexts, t)
	}
	data["texts"] = keptTexts

	changes, err := objectList(data, "attributes")
	if err != nil {
		return err
	}
	keptChanges := make([]any, 0, len(changes))
	for _, ch := range changes {
		id, ok := intOf(ch["id"])
		attrs, isObject := ch["attributes"].(map[string]any)
		if !ok || !isObject {
			return errors.New("an attribute change needs the node id and its attributes")
		}
		if s.dropped[id] {
			continue
		}
		// The tag is unknown here: every value is masked, and a removed
		// attribute is removed on the desk too.
		if err := sanitizeAttributes("", attrs, func(name string) { attrs[name] = nil }); err != nil {
			return err
		}
		keptChanges = append(keptChanges, ch)
	}
	data["attributes"] = keptChanges

	if _, err := objectList(data, "removes"); err != nil {
		return err
	}
	return nil
}

// objectList returns data[key] as a list of objects; a missing key is an
// empty list.
func objectList(data map[string]any, key string) ([]map[string]any, error) {
	v, has := data[key]
	if !has || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("a mutation's " + key + " must be an array")
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, errors.New("a mutation's " + key + " must hold objects")
		}
		out[i] = m
	}
	return out, nil
}

// sanitizeAttributes removes event handlers, srcdoc and script URLs, and
// masks typed values. tag is "" when unknown (attribute mutations): value
// is then masked whatever the element.
func sanitizeAttributes(tag string, attrs map[string]any, remove func(name string)) error {
	for name, v := range attrs {
		lower := strings.ToLower(strings.TrimSpace(name))
		switch v := v.(type) {
		case string:
			if strings.HasPrefix(lower, "on") || lower == "srcdoc" || dangerousURL(v) {
				remove(name)
				continue
			}
			if lower == "value" && (tag == "" || maskedElements[tag]) {
				attrs[name] = mask(v)
			}
		case json.Number, bool, nil:
			if strings.HasPrefix(lower, "on") || lower == "srcdoc" {
				remove(name)
			}
		case map[string]any:
			// rrweb sends a changed style attribute as {property: value}.
			if lower != "style" {
				return errors.New("attribute " + name + " must be text")
			}
			// {property: value | [value, priority] | false}.
			for _, p := range v {
				switch p := p.(type) {
				case string, bool, nil:
				case []any:
					for _, x := range p {
						if _, ok := x.(string); !ok {
							return errors.New("a style change must hold text")
						}
					}
				default:
					return errors.New("a style change must hold text")
				}
			}
		default:
			return errors.New("attribute " + name + " must be text")
		}
	}
	return nil
}

// dangerousURL reports whether v, read as a URL the way a browser reads it
// (leading spaces and controls skipped, tabs and newlines ignored, any
// case), starts with a scheme that runs code or renders a document.
func dangerousURL(v string) bool {
	var b strings.Builder
	for _, r := range v {
		if b.Len() == 0 && r <= ' ' {
			continue
		}
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		b.WriteRune(r)
		if b.Len() >= 32 {
			break
		}
	}
	u := strings.ToLower(b.String())
	for _, scheme := range dangerousSchemes {
		if strings.HasPrefix(u, scheme) {
			return true
		}
	}
	return false
}

// mask replaces each character of a typed value with an asterisk.
func mask(v string) string { return strings.Repeat("*", utf8.RuneCountInString(v)) }

// intOf reads a JSON integer decoded with UseNumber.
func intOf(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}
