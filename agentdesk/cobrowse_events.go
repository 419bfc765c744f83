package agentdesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

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
	rrStyleSheetRule    = 8
	rrCanvasMutation    = 9
	rrFont              = 10
	rrStyleDeclaration  = 13
	rrAdoptedStyleSheet = 15
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
	// A <meta http-equiv> can refresh the replay to another address or set
	// cookies; the replay needs no meta element at all.
	"meta": true,
}

// maskedElements hold typed or chosen values: their value never leaves the
// server.
var maskedElements = map[string]bool{"input": true, "textarea": true, "select": true, "option": true}

// urlAttributes name a URL the browser fetches (or pings) without a click;
// their value must point at the server itself. action, formaction and ping
// are removed whatever their value: the replay submits and pings nothing.
var urlAttributes = map[string]bool{
	"src": true, "href": true, "xlink:href": true, "poster": true, "background": true, "lowsrc": true,
	"dynsrc": true, "longdesc": true, "cite": true, "manifest": true, "codebase": true, "icon": true,
	"data": true, "archive": true, "profile": true, "classid": true,
}

// removedAttributes never reach the desk: a form's target, a ping, and
// what makes the browser choose an option or tick a box.
var removedAttributes = map[string]bool{
	"action": true, "formaction": true, "ping": true, "http-equiv": true,
	"checked": true, "selected": true,
}

// animationValueAttributes hold the values an SVG animation (animate, set)
// writes into another attribute, href included; several are separated by
// semicolons.
var animationValueAttributes = map[string]bool{"values": true, "to": true, "from": true, "by": true}

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
// dropped too), which elements hold secret text (a textarea, anything
// contenteditable, and what is inside them) and which hold a stylesheet
// (so their text is cleaned as CSS).
type eventSanitizer struct {
	mu sync.Mutex
	// origin is the server's own origin (scheme://host[:port]): the only
	// one the replay may fetch from. "" allows relative URLs only.
	origin  string
	dropped map[int64]bool
	// secretParents are elements whose text is masked: textareas,
	// contenteditable elements and the elements inside them.
	secretParents map[int64]bool
	// secret marks text nodes inside a secret parent.
	secret map[int64]bool
	// styles are <style> elements; styleTexts their text nodes.
	styles, styleTexts map[int64]bool
	// saturated is set once the page had more nodes of these kinds than
	// are tracked, or an element became editable after it was shown: from
	// then on every text change is masked and cleaned as CSS.
	saturated bool
}

// newEventSanitizer returns a sanitizer for a stream whose page may load
// from origin only (scheme://host[:port] of the server; "" for relative
// URLs only).
func newEventSanitizer(origin string) *eventSanitizer {
	s := &eventSanitizer{origin: strings.ToLower(strings.TrimSuffix(origin, "/"))}
	s.reset()
	return s
}

func (s *eventSanitizer) reset() {
	s.dropped, s.secretParents, s.secret, s.saturated = map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, false
	s.styles, s.styleTexts = map[int64]bool{}, map[int64]bool{}
}

func (s *eventSanitizer) remember(set map[int64]bool, id int64) {
	if len(s.dropped)+len(s.secretParents)+len(s.secret)+len(s.styles)+len(s.styleTexts) >= maxTrackedNodeIDs {
		s.saturated = true
		return
	}
	set[id] = true
}

// parentInfo is what a node inherits from the element holding it.
type parentInfo struct {
	tag    string // lower-case tag name, "" when unknown
	secret bool   // text inside is masked
	style  bool   // text inside is a stylesheet
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
		clean, err := json.Marshal(rrwebEvent{Type: typ, Data: data, Timestamp: timestamp})
		if err != nil {
			return nil, eventError(i, "cannot be encoded again")
		}
		out = append(out, clean)
	}
	return out, nil
}

// rrwebEvent is one cleaned event of a "cobrowse.events" batch. Data stays
// a tree of JSON values: it is rrweb's open snapshot and mutation format,
// checked node by node rather than typed.
type rrwebEvent struct {
	Type      int            `json:"type"`
	Data      map[string]any `json:"data"`
	Timestamp float64        `json:"timestamp"`
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
		keep, err := s.sanitizeNode(node, parentInfo{}, 0)
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
			// A ticked box or chosen radio button is a choice too.
			if _, has := data["isChecked"]; has {
				data["isChecked"] = false
			}
		case rrCanvasMutation:
			// Canvas commands can draw images fetched by URL; the mall
			// records no canvas.
			return errors.New("canvas recordings are not relayed")
		case rrStyleSheetRule, rrFont, rrStyleDeclaration, rrAdoptedStyleSheet:
			// CSS rules, declarations and font sources may name URLs.
			s.cleanCSSIn(data)
		}
	case rrMeta:
		if _, ok := data["href"].(string); !ok {
			return errors.New("a meta event needs the page's href")
		}
	}
	return nil
}

// cleanCSSIn cleans every text in v (a decoded JSON value) as CSS, in
// place, except the source field.
func (s *eventSanitizer) cleanCSSIn(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if str, ok := x.(string); ok && k != "source" {
				v[k] = s.cleanCSS(str)
			} else {
				s.cleanCSSIn(x)
			}
		}
	case []any:
		for i, x := range v {
			if str, ok := x.(string); ok {
				v[i] = s.cleanCSS(str)
			} else {
				s.cleanCSSIn(x)
			}
		}
	}
}

// sanitizeNode checks a serialized node (rrweb-snapshot's serializedNode)
// and cleans it in place; keep is false when the whole node must go.
// parent describes the element holding it.
func (s *eventSanitizer) sanitizeNode(n map[string]any, parent parentInfo, depth int) (keep bool, err error) {
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
	here := parentInfo{secret: parent.secret}
	switch typ {
	case rrNodeElement:
		name, _ := n["tagName"].(string)
		if !tagNamePattern.MatchString(name) {
			return false, errors.New("an element needs a valid tagName")
		}
		here.tag = strings.ToLower(name)
		if droppedElements[here.tag] {
			s.dropTree(n)
			return false, nil
		}
		attrs, ok := n["attributes"].(map[string]any)
		if !ok {
			return false, errors.New("an element needs its attributes as an object")
		}
		if here.tag == "link" && !s.keepLink(attrs) {
			s.dropTree(n)
			return false, nil
		}
		if err := s.sanitizeAttributes(here.tag, attrs, func(name string) { delete(attrs, name) }); err != nil {
			return false, err
		}
		if here.tag == "textarea" || editable(attrs) {
			here.secret = true
		}
		if here.secret {
			s.remember(s.secretParents, id)
		}
		if here.tag == "style" {
			here.style = true
			s.remember(s.styles, id)
		}
	case rrNodeText, rrNodeText + 1, rrNodeText + 2: // text, CDATA, comment
		text, ok := n["textContent"].(string)
		if !ok {
			return false, errors.New("a text node needs its textContent")
		}
		if parent.secret {
			n["textContent"] = mask(text)
			s.remember(s.secret, id)
		} else if parent.style || n["isStyle"] == true {
			n["textContent"] = s.cleanCSS(text)
			s.remember(s.styleTexts, id)
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
		keepChild, err := s.sanitizeNode(child, here, depth+1)
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

// editable reports whether attributes make an element contenteditable.
func editable(attrs map[string]any) bool {
	for name, v := range attrs {
		if strings.EqualFold(strings.TrimSpace(name), "contenteditable") {
			str, _ := v.(string)
			return !strings.EqualFold(strings.TrimSpace(str), "false")
		}
	}
	return false
}

// keepLink says whether a <link> may stay: only a stylesheet of the server
// itself (or one rrweb inlined as _cssText). Icons, prefetches,
// preconnects and stylesheets of other origins go.
func (s *eventSanitizer) keepLink(attrs map[string]any) bool {
	rel, href := "", ""
	for name, v := range attrs {
		str, _ := v.(string)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "rel":
			rel = strings.ToLower(str)
		case "href":
			href = str
		}
	}
	if !slices.Contains(strings.Fields(rel), "stylesheet") {
		return false
	}
	return href == "" || s.ownURL(href)
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
		info := parentInfo{secret: s.secretParents[parent] || s.saturated, style: s.styles[parent]}
		keep, err := s.sanitizeNode(node, info, 0)
		if err != nil {
			return err
		}
		if keep {
			keptAdds = append(keptAdds, a)
		}
	}
	data["adds"] = keptAdds

	changes, err := objectList(data, "attributes")
	if err != nil {
		return err
	}
	for _, ch := range changes {
		// An element made editable after it was shown: its text nodes are
		// not known here, so every text is masked from now on (this
		// mutation's texts included).
		if attrs, ok := ch["attributes"].(map[string]any); ok && editable(attrs) {
			s.saturated = true
		}
	}

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
		v, isText := t["value"].(string)
		switch {
		case !isText && t["value"] != nil:
			return errors.New("a text change's value must be text or null")
		case isText && (s.secret[id] || s.saturated):
			t["value"] = mask(v)
		case isText && s.styleTexts[id]:
			t["value"] = s.cleanCSS(v)
		}
		keptTexts = append(keptTexts, t)
	}
	data["texts"] = keptTexts

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
		if err := s.sanitizeAttributes("", attrs, func(name string) { attrs[name] = nil }); err != nil {
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

// sanitizeAttributes removes event handlers, srcdoc, script URLs, URLs of
// other origins, form targets, pings and checked or selected states; it
// cleans CSS of URLs of other origins and masks typed values and data-*
// attributes. tag is "" when unknown (attribute mutations): value is then
// masked whatever the element.
func (s *eventSanitizer) sanitizeAttributes(tag string, attrs map[string]any, remove func(name string)) error {
	for name, v := range attrs {
		lower := strings.ToLower(strings.TrimSpace(name))
		if strings.HasPrefix(lower, "on") || lower == "srcdoc" || removedAttributes[lower] {
			if v != nil {
				remove(name)
			}
			continue
		}
		switch v := v.(type) {
		case string:
			switch {
			case dangerousURL(v):
				remove(name)
			case urlAttributes[lower] && !s.ownURL(v):
				remove(name)
			case (lower == "srcset" || lower == "imagesrcset") && !s.ownSrcset(v):
				remove(name)
			case animationValueAttributes[lower] && !s.safeAnimationValues(v):
				remove(name)
			case lower == "style" || lower == "_csstext":
				attrs[name] = s.cleanCSS(v)
			case lower == "value" && (tag == "" || maskedElements[tag]):
				attrs[name] = mask(v)
			case strings.HasPrefix(lower, "data-"):
				attrs[name] = mask(v)
			}
		case json.Number, bool, nil:
		case map[string]any:
			// rrweb sends a changed style attribute as {property: value}.
			if lower != "style" {
				return errors.New("attribute " + name + " must be text")
			}
			// {property: value | [value, priority] | false}.
			for prop, p := range v {
				switch p := p.(type) {
				case string:
					v[prop] = s.cleanCSS(p)
				case bool, nil:
				case []any:
					for i, x := range p {
						str, ok := x.(string)
						if !ok {
							return errors.New("a style change must hold text")
						}
						p[i] = s.cleanCSS(str)
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

// ownURL reports whether the browser, resolving v against a page of the
// server, fetches it from the server itself: a relative URL, one of the
// server's origin, or an inline data: or blob: URL. A URL that starts
// with // or \\ (another host), another origin, or any other scheme is
// foreign.
func (s *eventSanitizer) ownURL(v string) bool {
	u := browserURL(v)
	if u == "" || strings.HasPrefix(u, "#") {
		return true
	}
	lower := strings.ToLower(u)
	if strings.HasPrefix(lower, "data:") {
		return true
	}
	if strings.HasPrefix(lower, "blob:") {
		return s.origin != "" && strings.HasPrefix(lower, "blob:"+s.origin+"/")
	}
	if strings.HasPrefix(u, "//") {
		return false
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return false
	}
	if parsed.Scheme == "" && parsed.Host == "" {
		return true
	}
	if s.origin == "" || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.User != nil {
		return false
	}
	return strings.ToLower(parsed.Scheme+"://"+parsed.Host) == s.origin
}

// browserURL reads v the way a browser reads a URL attribute: leading and
// trailing spaces and controls skipped, tabs and newlines ignored, and a
// backslash taken for a slash.
func browserURL(v string) string {
	v = strings.TrimFunc(v, func(r rune) bool { return r <= ' ' })
	v = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(v)
	return v
}

// ownSrcset reports whether every candidate of a srcset is the server's.
func (s *eventSanitizer) ownSrcset(v string) bool {
	for _, candidate := range strings.Split(v, ",") {
		if f := strings.Fields(candidate); len(f) > 0 && !s.ownURL(f[0]) {
			return false
		}
	}
	return true
}

// safeAnimationValues reports whether every value an SVG animation would
// set is neither a script URL nor an absolute URL of another origin.
func (s *eventSanitizer) safeAnimationValues(v string) bool {
	for _, part := range strings.Split(v, ";") {
		if dangerousURL(part) {
			return false
		}
		if p := browserURL(part); strings.Contains(p, ":") || strings.HasPrefix(p, "//") {
			if !s.ownURL(p) {
				return false
			}
		}
	}
	return true
}

// cssURLPattern finds url(…) in CSS, quoted or not.
var cssURLPattern = regexp.MustCompile(`(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"]*?))\s*\)`)

// cssStringPattern finds the quoted strings of CSS, which @import and
// image-set() take as URLs.
var cssStringPattern = regexp.MustCompile(`"[^"]*"|'[^']*'`)

// cleanCSS returns css without any URL of another origin: each foreign
// url(…) becomes url(""), each quoted string that reads as a foreign
// absolute URL becomes "". CSS with escapes (a backslash can spell url(
// or a scheme in hex) is dropped whole.
func (s *eventSanitizer) cleanCSS(css string) string {
	if strings.Contains(css, "\\") {
		return ""
	}
	css = cssURLPattern.ReplaceAllStringFunc(css, func(m string) string {
		sub := cssURLPattern.FindStringSubmatch(m)
		if s.ownURL(sub[1] + sub[2] + sub[3]) {
			return m
		}
		return `url("")`
	})
	return cssStringPattern.ReplaceAllStringFunc(css, func(m string) string {
		v := browserURL(m[1 : len(m)-1])
		if (strings.Contains(v, ":") || strings.HasPrefix(v, "//")) && !s.ownURL(v) {
			return `""`
		}
		return m
	})
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

// maskedText stands for any hidden value, whatever its length.
const maskedText = "******"

// mask hides a typed or chosen value without saying how long it was; an
// empty value stays empty.
func mask(v string) string {
	if v == "" {
		return ""
	}
	return maskedText
}

// intOf reads a JSON integer decoded with UseNumber.
func intOf(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}
