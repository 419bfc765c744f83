package directory

import (
	"log/slog"
	"time"
)

// The members of a call besides its caller and callee — an added member
// of a conference, a supervisor or colleague the contact center joined —
// are rows of call_members while they are in the room: the live
// directory counts them busy (in a call), whichever node asks.

// CallMember is one such member in a call's room.
type CallMember struct {
	CallID    string    `gorm:"column:call_id;primaryKey"`
	ConnID    string    `gorm:"column:conn_id;primaryKey"`
	AccountID string    `gorm:"column:account_id"`
	JoinedAt  time.Time `gorm:"column:joined_at"`
}

// TableName tells GORM where call members live.
func (CallMember) TableName() string { return "call_members" }

// memberJoined records a member who is neither caller nor callee and
// tells the directory they are busy.
func (cl *call) memberJoined(p party) {
	if p.AccountID == "" {
		return
	}
	err := cl.c.db.Create(&CallMember{CallID: cl.rec.ID, ConnID: p.ConnID, AccountID: p.AccountID, JoinedAt: time.Now().UTC()}).Error
	if err != nil {
		slog.Warn("record a call's member", "call", cl.rec.ID, "err", err)
	}
	cl.c.dir.touch(p.AccountID)
}

// memberLeft forgets a member who left the room and tells the directory
// their state may have changed.
func (cl *call) memberLeft(p party) {
	res := cl.c.db.Where("call_id = ? AND conn_id = ?", cl.rec.ID, p.ConnID).Delete(&CallMember{})
	if res.Error != nil {
		slog.Warn("forget a call's member", "call", cl.rec.ID, "err", res.Error)
	}
	if res.RowsAffected > 0 && p.AccountID != "" {
		cl.c.dir.touch(p.AccountID)
	}
}

// membersGone forgets every member of the ended call and tells the
// directory.
func (cl *call) membersGone() {
	var ids []string
	cl.c.db.Model(&CallMember{}).Where("call_id = ?", cl.rec.ID).Pluck("account_id", &ids)
	if len(ids) == 0 {
		return
	}
	cl.c.db.Where("call_id = ?", cl.rec.ID).Delete(&CallMember{})
	cl.c.dir.touch(ids...)
}
