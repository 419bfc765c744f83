package agentdesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// Whiteboard is the shared board of an engagement: the shopper and the
// agent draw strokes, write text and drop product cards on it while they
// talk. Every item is checked, stored with the engagement and sent to both
// parties in the order the server stored it, so both boards are the same;
// the board can be reopened afterwards from the engagement or the order.
type Whiteboard struct {
	db      *gorm.DB
	sig     *media.Signaling
	peers   EngagementPeers
	catalog *mall.Catalog
	limits  BoardLimits
}

// BoardLimits caps what one board and one connection may hold and send.
// Zero fields take the defaults.
type BoardLimits struct {
	// MaxItems is the most items one board keeps (2000).
	MaxItems int
	// MaxMessageBytes is the largest board.draw data accepted (32 KiB).
	MaxMessageBytes int
	// Rate and Burst bound board messages per connection: a token bucket
	// of Rate a second (20) holding Burst (40).
	Rate  float64
	Burst int
	// Now is the clock (time.Now).
	Now func() time.Time
}

func (l BoardLimits) withDefaults() BoardLimits {
	if l.MaxItems <= 0 {
		l.MaxItems = 2000
	}
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = 32 << 10
	}
	l.Rate, l.Burst, l.Now = rateDefaults(l.Rate, l.Burst, l.Now, 20, 40)
	return l
}

// NewWhiteboard returns the engagements' whiteboards over sig; Signals
// registers their messages.
func NewWhiteboard(db *gorm.DB, sig *media.Signaling, peers EngagementPeers, catalog *mall.Catalog, limits BoardLimits) *Whiteboard {
	return &Whiteboard{db: db, sig: sig, peers: peers, catalog: catalog, limits: limits.withDefaults()}
}

// Signals registers the board.* handlers on the signaling the whiteboards
// were built with. Call it once, before the signaling routes serve.
func (w *Whiteboard) Signals() {
	w.sig.Handle("board.draw", w.handleDraw)
	w.sig.Handle("board.erase", w.handleErase)
}

// boardRow is how a board item is stored; Body holds the BoardItem's
// drawing as JSON.
type boardRow struct {
	ID              int64      `gorm:"column:id;primaryKey"`
	EntryID         string     `gorm:"column:entry_id"`
	AuthorRole      string     `gorm:"column:author_role"`
	AuthorAccountID *string    `gorm:"column:author_account_id"`
	Kind            string     `gorm:"column:kind"`
	Body            string     `gorm:"column:body"`
	CreatedAt       time.Time  `gorm:"column:created_at"`
	ErasedAt        *time.Time `gorm:"column:erased_at"`
}

// TableName tells GORM where board items live.
func (boardRow) TableName() string { return "board_items" }

// item turns a stored row into what the parties see.
func (r boardRow) item() (BoardItem, error) {
	var it BoardItem
	if err := json.Unmarshal([]byte(r.Body), &it); err != nil {
		return it, fmt.Errorf("board item %d: %w", r.ID, err)
	}
	it.ID, it.Kind, it.Author, it.CreatedAt = r.ID, r.Kind, r.AuthorRole, r.CreatedAt
	return it, nil
}

func (w *Whiteboard) handleDraw(ctx context.Context, c *media.Conn, m media.Message) error {
	if err := takeToken(c, boardBucketKey, "whiteboard", w.limits.Rate, w.limits.Burst, w.limits.Now()); err != nil {
		return err
	}
	if len(m.Data) > w.limits.MaxMessageBytes {
		return apperr.New(apperr.TooLarge, "a whiteboard item may be at most %d KiB; draw it in shorter strokes", w.limits.MaxMessageBytes>>10)
	}
	d, err := parseBoardDraw(m.Data)
	if err != nil {
		return err
	}
	peer, role, err := w.peers.Peer(ctx, d.EntryID, c)
	if err != nil {
		return err
	}
	it, err := d.item()
	if err != nil {
		return err
	}
	if it.Kind == boardProduct {
		if it.Product, err = w.productCard(ctx, d.EntryID, d.SKU); err != nil {
			return err
		}
	}
	saved, err := w.save(ctx, d.EntryID, role, c.AccountID, it)
	if err != nil {
		return err
	}
	out := boardDrawn{EntryID: d.EntryID, Item: saved}
	c.SendData("board.item", out)
	w.toWatchers(ctx, c, d.EntryID, "board.item", out)
	return w.sig.SendToConn(peer, "board.item", out)
}

// save stores the item as the board's next one, unless the board is full:
// one transaction, so a full board never takes one more.
func (w *Whiteboard) save(ctx context.Context, entryID, role, accountID string, it BoardItem) (BoardItem, error) {
	body, err := json.Marshal(it)
	if err != nil {
		return it, err
	}
	row := boardRow{EntryID: entryID, AuthorRole: role, Kind: it.Kind, Body: string(body), CreatedAt: w.limits.Now().UTC()}
	if accountID != "" {
		row.AuthorAccountID = &accountID
	}
	err = w.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&boardRow{}).Where("entry_id = ? AND erased_at IS NULL", entryID).Count(&n).Error; err != nil {
			return err
		}
		if n >= int64(w.limits.MaxItems) {
			return apperr.New(apperr.Conflict, "the whiteboard is full (%d items): erase something first", w.limits.MaxItems)
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		return it, err
	}
	return row.item()
}

// productCard is the card of a product of the engagement's store, filled
// from the catalog: what the client sent is only the SKU.
func (w *Whiteboard) productCard(ctx context.Context, entryID, sku string) (*BoardProduct, error) {
	var storeID int64
	if err := w.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ?", entryID).Pluck("store_id", &storeID).Error; err != nil {
		return nil, err
	}
	ref, err := w.catalog.StoreRef(ctx, storeID)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "the engagement's store is gone")
	} else if err != nil {
		return nil, err
	}
	store, err := w.catalog.StoreBySlug(ctx, ref.Slug)
	if err != nil {
		return nil, err
	}
	p, err := w.catalog.ProductBySKU(ctx, store, sku)
	if err != nil {
		return nil, err
	}
	if !p.OnSale() {
		return nil, apperr.New(apperr.Conflict, "%s is no longer sold, so it cannot go on the board", p.Name)
	}
	card := productCard(store.Slug, p)
	return &card, nil
}

func (w *Whiteboard) handleErase(ctx context.Context, c *media.Conn, m media.Message) error {
	if err := takeToken(c, boardBucketKey, "whiteboard", w.limits.Rate, w.limits.Burst, w.limits.Now()); err != nil {
		return err
	}
	d, err := parseBoardErase(m.Data)
	if err != nil {
		return err
	}
	peer, _, err := w.peers.Peer(ctx, d.EntryID, c)
	if err != nil {
		return err
	}
	res := w.db.WithContext(ctx).Model(&boardRow{}).Where("id = ? AND entry_id = ? AND erased_at IS NULL", *d.ItemID, d.EntryID).
		Update("erased_at", w.limits.Now().UTC())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return apperr.New(apperr.NotFound, "no item %d on this whiteboard", *d.ItemID)
	}
	out := boardErased{EntryID: d.EntryID, ItemID: *d.ItemID}
	c.SendData("board.erased", out)
	w.toWatchers(ctx, c, d.EntryID, "board.erased", out)
	return w.sig.SendToConn(peer, "board.erased", out)
}

// Board is an engagement's whiteboard as it stands: the items not erased,
// oldest first.
type Board struct {
	EntryID string      `json:"entryId"`
	Store   storeBrief  `json:"store"`
	Items   []BoardItem `json:"items"`
}

// storeBrief names a store.
type storeBrief struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// boardOf loads the board of an engagement.
func (w *Whiteboard) boardOf(ctx context.Context, e *QueueEntry) (*Board, error) {
	var rows []boardRow
	if err := w.db.WithContext(ctx).Where("entry_id = ? AND erased_at IS NULL", e.ID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	b := &Board{EntryID: e.ID, Items: make([]BoardItem, 0, len(rows))}
	if ref, err := w.catalog.StoreRef(ctx, e.StoreID); err == nil {
		b.Store = storeBrief{Slug: ref.Slug, Name: ref.Name}
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	for _, r := range rows {
		it, err := r.item()
		if err != nil {
			return nil, err
		}
		b.Items = append(b.Items, it)
	}
	return b, nil
}
