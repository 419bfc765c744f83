// Package tsproto writes the TypeScript twins of the signaling payloads:
// one interface per Go struct that builds or decodes a message's data, and
// the unions of the messages each side sends. Payloads is the one list
// from message type to Go struct; media/cmd/tsproto writes the result to
// media/client/messages.gen.ts (go generate ./media/...), and
// TestTypeScriptSignalingTypesMatchGo fails when the committed file differs.
package tsproto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// Payload ties one message type, in one direction, to the Go struct of its
// data; a nil Data means the message carries none.
type Payload struct {
	Type      string
	Direction media.Direction
	Data      any
}

// Payloads lists the data of every message in media.Protocol, in the order
// the unions list them. Generate refuses a list that misses a message of
// Protocol or names one Protocol does not have.
var Payloads = []Payload{
	{"ping", media.ToServer, nil},
	{"heartbeat", media.ToServer, nil},
	{"presence.set", media.ToServer, directory.SetPresenceData{}},
	{"directory.watch", media.ToServer, nil},
	{"call.dial", media.ToServer, directory.DialData{}},
	{"call.answer", media.ToServer, directory.CallRef{}},
	{"call.decline", media.ToServer, directory.CallRef{}},
	{"call.hangup", media.ToServer, directory.CallRef{}},
	{"rtc.answer", media.ToServer, directory.RtcAnswerData{}},
	{"rtc.candidate", media.ToServer, media.RtcCandidateData{}},
	{"call.video.request", media.ToServer, directory.CallRef{}},
	{"call.video.response", media.ToServer, directory.VideoChoiceData{}},
	{"queue.choose", media.ToServer, directory.QueueChooseData{}},
	{"call.invite", media.ToServer, directory.InviteData{}},
	{"cobrowse.request", media.ToServer, agentdesk.CobrowseEntry{}},
	{"cobrowse.start", media.ToServer, agentdesk.CobrowseEntry{}},
	{"cobrowse.events", media.ToServer, agentdesk.CobrowseEvents{}},
	{"cobrowse.navigate", media.ToServer, agentdesk.CobrowseNavigate{}},
	{"cobrowse.point", media.ToServer, agentdesk.CobrowsePoint{}},
	{"cobrowse.stop", media.ToServer, agentdesk.CobrowseEntry{}},
	{"board.draw", media.ToServer, agentdesk.BoardDrawData{}},
	{"board.erase", media.ToServer, agentdesk.BoardEraseData{}},

	{"hello", media.ToDevice, media.HelloData{}},
	{"pong", media.ToDevice, nil},
	{"error", media.ToDevice, media.ErrorData{}},
	{"presence", media.ToDevice, directory.PresenceData{}},
	{"call.state", media.ToDevice, directory.CallStateData{}},
	{"call.incoming", media.ToDevice, directory.CallIncomingData{}},
	{"queue.fallback", media.ToDevice, agentdesk.QueueFallbackData{}},
	{"queue.callback", media.ToDevice, agentdesk.QueueCallbackData{}},
	{"queue.changed", media.ToDevice, agentdesk.QueueChangedData{}},
	{"agent.state", media.ToDevice, agentdesk.AgentState{}},
	{"cobrowse.request", media.ToDevice, agentdesk.CobrowseEntry{}},
	{"cobrowse.start", media.ToDevice, agentdesk.CobrowseEntry{}},
	{"cobrowse.events", media.ToDevice, agentdesk.CobrowseEvents{}},
	{"cobrowse.navigate", media.ToDevice, agentdesk.CobrowseNavigate{}},
	{"cobrowse.point", media.ToDevice, agentdesk.CobrowsePoint{}},
	{"cobrowse.stop", media.ToDevice, agentdesk.CobrowseEntry{}},
	{"board.item", media.ToDevice, agentdesk.BoardItemData{}},
	{"board.erased", media.ToDevice, agentdesk.BoardErasedData{}},
	{"credit.update", media.ToDevice, mall.CreditUpdate{}},
	{"rtc.offer", media.ToDevice, media.RtcOfferData{}},
	{"rtc.candidate", media.ToDevice, media.RtcCandidateData{}},
	{"call.roster", media.ToDevice, media.RoomRosterData{}},
	{"call.invited", media.ToDevice, directory.InvitedData{}},
	{"call.video.request", media.ToDevice, directory.VideoChoiceData{}},
	{"call.video.response", media.ToDevice, directory.VideoChoiceData{}},
	{"mailbox.count", media.ToDevice, directory.MailboxCountData{}},
	{"call.transfer", media.ToDevice, directory.CallTransferData{}},
}

// Extra lists structs a ts:"…" tag names without Go's type reaching them:
// the queue offer travels to call.incoming as raw JSON through the
// directory, which cannot import the contact center.
var Extra = []any{agentdesk.QueueOffer{}}

// Header opens the generated file.
const Header = `// generated — do not edit: the Go structs in media/tsproto.Payloads are the
// source; change them and run go generate ./media/... (go run ./media/cmd/tsproto).
//
// The data of every signaling message (media/SIGNALING.md), one interface
// per Go struct that builds or decodes it, and the messages each side sends.
`

// Generate returns the TypeScript of Payloads. moduleRoot is the
// repository's root, where the Go sources are read for doc comments.
func Generate(moduleRoot string) ([]byte, error) {
	if err := checkCoverage(); err != nil {
		return nil, err
	}
	g := &gen{root: moduleRoot, named: map[string]reflect.Type{}, docs: map[string]*pkgDocs{}}
	for _, p := range Payloads {
		if p.Data != nil {
			g.want(reflect.TypeOf(p.Data))
		}
	}
	for _, x := range Extra {
		g.want(reflect.TypeOf(x))
	}
	var b bytes.Buffer
	b.WriteString(Header)
	for i := 0; i < len(g.order); i++ { // g.order grows as nested structs are met
		if err := g.writeInterface(&b, g.order[i]); err != nil {
			return nil, err
		}
	}
	writeUnion(&b, "ServerMessage", "ServerMessage is any message the server sends.", media.ToDevice, true)
	writeUnion(&b, "ClientMessage", "ClientMessage is any message the client may send (v is added on send).", media.ToServer, false)
	return b.Bytes(), nil
}

// checkCoverage makes Payloads and media.Protocol name the same messages.
func checkCoverage() error {
	key := func(t string, d media.Direction) string { return fmt.Sprintf("%s/%d", t, d) }
	inProtocol := map[string]bool{}
	for _, m := range media.Protocol {
		inProtocol[key(m.Type, m.Direction)] = true
	}
	seen := map[string]bool{}
	for _, p := range Payloads {
		k := key(p.Type, p.Direction)
		if !inProtocol[k] {
			return fmt.Errorf("tsproto.Payloads lists %q (direction %d), which media.Protocol does not have", p.Type, p.Direction)
		}
		if seen[k] {
			return fmt.Errorf("tsproto.Payloads lists %q (direction %d) twice", p.Type, p.Direction)
		}
		seen[k] = true
	}
	for _, m := range media.Protocol {
		if !seen[key(m.Type, m.Direction)] {
			return fmt.Errorf("media.Protocol has %q (direction %d), which tsproto.Payloads does not list", m.Type, m.Direction)
		}
	}
	return nil
}

type gen struct {
	root  string
	order []reflect.Type
	named map[string]reflect.Type // TypeScript name -> Go type
	docs  map[string]*pkgDocs     // package path -> its comments
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// want queues a struct type for an interface of its own.
func (g *gen) want(t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return
	}
	if prev, ok := g.named[t.Name()]; ok {
		if prev != t {
			panic(fmt.Sprintf("tsproto: two Go types are called %s (%s and %s): rename one", t.Name(), prev.PkgPath(), t.PkgPath()))
		}
		return
	}
	g.named[t.Name()] = t
	g.order = append(g.order, t)
}

// tsType is the TypeScript of a Go type.
func (g *gen) tsType(t reflect.Type) (string, error) {
	switch {
	case t == timeType:
		return "string", nil
	case t == rawType:
		return "unknown", nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.tsType(t.Elem())
	case reflect.String:
		return "string", nil
	case reflect.Bool:
		return "boolean", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number", nil
	case reflect.Slice:
		el, err := g.tsType(t.Elem())
		if err != nil {
			return "", err
		}
		if strings.ContainsAny(el, " |&") {
			el = "(" + el + ")"
		}
		return el + "[]", nil
	case reflect.Array:
		el, err := g.tsType(t.Elem())
		if err != nil {
			return "", err
		}
		parts := make([]string, t.Len())
		for i := range parts {
			parts[i] = el
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case reflect.Map:
		el, err := g.tsType(t.Elem())
		if err != nil {
			return "", err
		}
		return "Record<string, " + el + ">", nil
	case reflect.Interface:
		return "unknown", nil
	case reflect.Struct:
		if t.Name() == "" {
			return "", fmt.Errorf("an anonymous struct has no TypeScript name: give it a type")
		}
		g.want(t)
		return t.Name(), nil
	}
	return "", fmt.Errorf("no TypeScript for Go kind %s", t.Kind())
}

// field is one JSON field of a struct.
type field struct {
	name, ts, doc string
	optional      bool
}

// fields lists a struct's JSON fields, embedded structs flattened.
func (g *gen) fields(t reflect.Type) ([]field, error) {
	var out []field
	docs := g.docsOf(t.PkgPath())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			inner, err := g.fields(f.Type)
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		ts := f.Tag.Get("ts")
		if ts == "" {
			var err error
			if ts, err = g.tsType(f.Type); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
			}
		}
		optional := strings.Contains(","+opts+",", ",omitempty,") ||
			(f.Type.Kind() == reflect.Pointer && f.Tag.Get("required") != "true")
		out = append(out, field{name: name, ts: ts, optional: optional, doc: docs.field(t.Name(), f.Name)})
	}
	return out, nil
}

func (g *gen) writeInterface(b *bytes.Buffer, t reflect.Type) error {
	fs, err := g.fields(t)
	if err != nil {
		return err
	}
	pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
	doc := g.docsOf(t.PkgPath()).typ(t.Name())
	if doc == "" {
		doc = t.Name() + " is " + pkg + "." + t.Name() + "."
	} else {
		doc += "\n\nGo: " + pkg + "." + t.Name() + "."
	}
	fmt.Fprintf(b, "\n%s", comment(doc, ""))
	fmt.Fprintf(b, "export interface %s {\n", t.Name())
	for _, f := range fs {
		if f.doc != "" {
			b.WriteString(comment(f.doc, "  "))
		}
		opt := ""
		if f.optional {
			opt = "?"
		}
		fmt.Fprintf(b, "  %s%s: %s;\n", f.name, opt, f.ts)
	}
	b.WriteString("}\n")
	return nil
}

// writeUnion writes the messages one side sends, one line per type.
func writeUnion(b *bytes.Buffer, name, doc string, d media.Direction, withV bool) {
	fmt.Fprintf(b, "\n/** %s */\nexport type %s =\n", doc, name)
	var lines []string
	for _, p := range Payloads {
		if p.Direction != d {
			continue
		}
		parts := []string{"type: '" + p.Type + "'"}
		if withV {
			parts = append(parts, "v: number")
		}
		switch {
		case p.Data != nil:
			parts = append(parts, "data: "+reflect.TypeOf(p.Data).Name())
		case withV:
			parts = append(parts, "data?: undefined")
		}
		lines = append(lines, "  | { "+strings.Join(parts, "; ")+" }")
	}
	b.WriteString(strings.Join(lines, "\n") + ";\n")
}

// comment formats a doc comment as JSDoc.
func comment(doc, indent string) string {
	doc = strings.TrimSpace(doc)
	if !strings.Contains(doc, "\n") {
		return indent + "/** " + doc + " */\n"
	}
	var b strings.Builder
	b.WriteString(indent + "/**\n")
	for _, l := range strings.Split(doc, "\n") {
		b.WriteString(strings.TrimRight(indent+" * "+l, " ") + "\n")
	}
	b.WriteString(indent + " */\n")
	return b.String()
}

// pkgDocs holds a package's doc comments on types and struct fields.
type pkgDocs struct {
	types  map[string]string
	fields map[string]string // "Type.Field"
}

func (d *pkgDocs) typ(name string) string        { return d.types[name] }
func (d *pkgDocs) field(typ, name string) string { return d.fields[typ+"."+name] }

// docsOf reads the doc comments of a package of this module from its
// sources; other packages (and a module root that cannot be read) give
// none.
func (g *gen) docsOf(pkgPath string) *pkgDocs {
	if d, ok := g.docs[pkgPath]; ok {
		return d
	}
	d := &pkgDocs{types: map[string]string{}, fields: map[string]string{}}
	g.docs[pkgPath] = d
	const module = "github.com/livemall/livemall/"
	if !strings.HasPrefix(pkgPath, module) {
		return d
	}
	dir := filepath.Join(g.root, filepath.FromSlash(strings.TrimPrefix(pkgPath, module)))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return d
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			continue
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if ts.Assign != 0 {
					continue // an alias documents nothing of its own
				}
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				if doc != nil {
					d.types[ts.Name.Name] = strings.TrimSpace(doc.Text())
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fl := range st.Fields.List {
					text := ""
					if fl.Doc != nil {
						text = fl.Doc.Text()
					} else if fl.Comment != nil {
						text = fl.Comment.Text()
					}
					for _, n := range fl.Names {
						if text != "" {
							d.fields[ts.Name.Name+"."+n.Name] = strings.TrimSpace(text)
						}
					}
				}
			}
		}
	}
	return d
}

// ModuleRoot finds the repository's root (the directory holding go.mod)
// from dir upwards.
func ModuleRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}
