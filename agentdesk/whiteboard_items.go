package agentdesk

import (
	"math"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/mall"
)

// The kinds of whiteboard item.
const (
	boardStroke  = "stroke"
	boardText    = "text"
	boardProduct = "product"
)

// Limits of one whiteboard item.
const (
	boardMaxPoints   = 1000
	boardMaxText     = 200
	boardMaxWidth    = 24
	boardDefaultInk  = "#1f2937"
	boardDefaultLine = 3
)

// BoardItem is one thing on a whiteboard. Positions are fractions from 0 to
// 1 of the board's width and height, so both parties' boards agree
// whatever their size.
type BoardItem struct {
	ID        int64         `json:"id"`
	Kind      string        `json:"kind" ts:"'stroke' | 'text' | 'product'"`
	Author    string        `json:"author" ts:"'shopper' | 'agent'"`
	Color     string        `json:"color,omitempty"`
	Width     float64       `json:"width,omitempty"`
	Points    [][2]float64  `json:"points,omitempty" ts:"[number, number][]"`
	Text      string        `json:"text,omitempty"`
	X         float64       `json:"x"`
	Y         float64       `json:"y"`
	Product   *BoardProduct `json:"product,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
}

// BoardProduct is a product card on a board, as the catalog describes it.
type BoardProduct struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceMinor int64  `json:"priceMinor"`
	Currency   string `json:"currency"`
	Image      string `json:"image"`
	Path       string `json:"path"`
}

// productCard describes a product of the store for a board or a suggestion.
func productCard(storeSlug string, p *mall.Product) BoardProduct {
	return BoardProduct{SKU: p.SKU, Name: p.Name, PriceMinor: p.PriceMinor, Currency: p.Currency,
		Image: mall.ProductImageURL(storeSlug, p.SKU), Path: "/store/" + storeSlug + "/product/" + p.SKU}
}

var (
	boardColorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	boardSKUPattern   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// parseBoardDraw decodes board.draw data strictly and checks everything
// but the SKU's existence (that needs the catalog).
func parseBoardDraw(data []byte) (*boardDraw, error) {
	var d boardDraw
	if err := decodeBoardData(data, "board.draw", &d); err != nil {
		return nil, err
	}
	if err := checkEntryID(d.EntryID); err != nil {
		return nil, err
	}
	if d.Color != "" && !boardColorPattern.MatchString(d.Color) {
		return nil, apperr.New(apperr.Invalid, "a whiteboard colour is #rrggbb, not %q", clip(d.Color, 20))
	}
	switch d.Kind {
	case boardStroke:
		if len(d.Points) == 0 || len(d.Points) > boardMaxPoints {
			return nil, apperr.New(apperr.Invalid, "a stroke has from 1 to %d points, not %d", boardMaxPoints, len(d.Points))
		}
		for _, p := range d.Points {
			if len(p) != 2 {
				return nil, apperr.New(apperr.Invalid, "each point of a stroke is [x, y]")
			}
			if err := checkBoardPosition(p[0], p[1]); err != nil {
				return nil, err
			}
		}
		if d.Width != nil && (math.IsNaN(*d.Width) || *d.Width < 1 || *d.Width > boardMaxWidth) {
			return nil, apperr.New(apperr.Invalid, "a stroke is from 1 to %d pixels wide", boardMaxWidth)
		}
		if d.Text != "" || d.SKU != "" || d.X != nil || d.Y != nil {
			return nil, apperr.New(apperr.Invalid, "a stroke has points, a colour and a width only")
		}
	case boardText, boardProduct:
		if d.X == nil || d.Y == nil {
			return nil, apperr.New(apperr.Invalid, "a %s item needs its place on the board: x and y", d.Kind)
		}
		if err := checkBoardPosition(*d.X, *d.Y); err != nil {
			return nil, err
		}
		if d.Points != nil || d.Width != nil {
			return nil, apperr.New(apperr.Invalid, "only a stroke has points and a width")
		}
		if d.Kind == boardText {
			if err := checkBoardText(d.Text); err != nil {
				return nil, err
			}
			if d.SKU != "" {
				return nil, apperr.New(apperr.Invalid, "a text item has no sku; drop a product card instead")
			}
		} else {
			if !boardSKUPattern.MatchString(d.SKU) {
				return nil, apperr.New(apperr.Invalid, "a product card needs the product's sku")
			}
			if d.Text != "" || d.Color != "" {
				return nil, apperr.New(apperr.Invalid, "a product card shows the catalog's product: send only its sku and place")
			}
		}
	default:
		return nil, apperr.New(apperr.Invalid, "a whiteboard item is a stroke, text or product, not %q", clip(d.Kind, 20))
	}
	return &d, nil
}

// item is the checked drawing, without id, author or time.
func (d *boardDraw) item() (BoardItem, error) {
	it := BoardItem{Kind: d.Kind}
	switch d.Kind {
	case boardStroke:
		it.Color, it.Width = ink(d.Color), boardDefaultLine
		if d.Width != nil {
			it.Width = math.Round(*d.Width*10) / 10
		}
		it.Points = make([][2]float64, len(d.Points))
		for i, p := range d.Points {
			it.Points[i] = [2]float64{round4(p[0]), round4(p[1])}
		}
	case boardText:
		it.Color, it.Text, it.X, it.Y = ink(d.Color), strings.TrimSpace(d.Text), round4(*d.X), round4(*d.Y)
	case boardProduct:
		it.X, it.Y = round4(*d.X), round4(*d.Y)
	}
	return it, nil
}

// parseBoardErase decodes board.erase data strictly.
func parseBoardErase(data []byte) (*boardErase, error) {
	var d boardErase
	if err := decodeBoardData(data, "board.erase", &d); err != nil {
		return nil, err
	}
	if err := checkEntryID(d.EntryID); err != nil {
		return nil, err
	}
	if *d.ItemID <= 0 {
		return nil, apperr.New(apperr.Invalid, "itemId is the positive id of an item on the board")
	}
	return &d, nil
}

func decodeBoardData(data []byte, typ string, dst any) error {
	if len(data) == 0 || string(data) == "null" {
		return apperr.New(apperr.Invalid, "%s needs data with an entryId", typ)
	}
	return web.DecodeJSONBytes(data, dst)
}

func checkEntryID(id string) error {
	if id == "" || len(id) > 64 {
		return apperr.New(apperr.Invalid, "entryId names an engagement, such as qe_…")
	}
	return nil
}

func checkBoardPosition(x, y float64) error {
	for _, v := range []float64{x, y} {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return apperr.New(apperr.Invalid, "a place on the whiteboard is a fraction of its width and height, from 0 to 1")
		}
	}
	return nil
}

func checkBoardText(s string) error {
	t := strings.TrimSpace(s)
	if t == "" {
		return apperr.New(apperr.Invalid, "a text item needs some text")
	}
	if !utf8.ValidString(t) {
		return apperr.New(apperr.Invalid, "whiteboard text must be UTF-8")
	}
	if n := utf8.RuneCountInString(t); n > boardMaxText {
		return apperr.New(apperr.Invalid, "whiteboard text is at most %d characters, not %d", boardMaxText, n)
	}
	for _, r := range t {
		if unicode.IsControl(r) {
			return apperr.New(apperr.Invalid, "whiteboard text is one line without control characters")
		}
	}
	return nil
}

func ink(c string) string {
	if c == "" {
		return boardDefaultInk
	}
	return strings.ToLower(c)
}

func round4(f float64) float64 { return math.Round(f*10000) / 10000 }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
