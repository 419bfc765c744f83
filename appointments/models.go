package appointments

import "time"

// Statuses of an appointment. A booking is "booked" until the shopper
// joins it ("joined"), cancels it or the store does ("cancelled"), or its
// start passes by the store's no-show minutes without them ("no_show").
const (
	StatusBooked    = "booked"
	StatusJoined    = "joined"
	StatusCancelled = "cancelled"
	StatusNoShow    = "no_show"
)

// settingsRow is a store's booking rules (table appointment_settings).
// Their time zone is the store's own (mall.Store.TimeZone).
type settingsRow struct {
	StoreID       int64     `gorm:"column:store_id;primaryKey"`
	SlotMinutes   int       `gorm:"column:slot_minutes"`
	LeadMinutes   int       `gorm:"column:lead_minutes"`
	HorizonDays   int       `gorm:"column:horizon_days"`
	NoShowMinutes int       `gorm:"column:no_show_minutes"`
	UpdatedAt     time.Time `gorm:"column:updated_at"`
}

func (settingsRow) TableName() string { return "appointment_settings" }

// defaultSettings are the rules of a store that set none.
func defaultSettings(storeID int64) settingsRow {
	return settingsRow{StoreID: storeID, SlotMinutes: 30, LeadMinutes: 60, HorizonDays: 14, NoShowMinutes: 10}
}

// hoursRow is one range of an agent's working hours (table agent_hours).
type hoursRow struct {
	ID          int64  `gorm:"column:id;primaryKey"`
	StoreID     int64  `gorm:"column:store_id"`
	AgentID     string `gorm:"column:agent_id"`
	Weekday     int    `gorm:"column:weekday"`
	StartMinute int    `gorm:"column:start_minute"`
	EndMinute   int    `gorm:"column:end_minute"`
}

func (hoursRow) TableName() string { return "agent_hours" }

// Appointment is a booked video call with a store (table appointments).
type Appointment struct {
	ID                string     `gorm:"column:id;primaryKey"`
	StoreID           int64      `gorm:"column:store_id"`
	AgentID           string     `gorm:"column:agent_id"`
	ShopperID         *string    `gorm:"column:shopper_id"`
	Name              string     `gorm:"column:name"`
	Email             string     `gorm:"column:email"`
	ProductSKU        string     `gorm:"column:product_sku"`
	StartsAt          time.Time  `gorm:"column:starts_at"`
	EndsAt            time.Time  `gorm:"column:ends_at"`
	Status            string     `gorm:"column:status"`
	CancelledBy       string     `gorm:"column:cancelled_by"`
	TokenHash         string     `gorm:"column:token_hash"`
	ReminderClaimedAt *time.Time `gorm:"column:reminder_claimed_at"`
	JoinedAt          *time.Time `gorm:"column:joined_at"`
	CreatedAt         time.Time  `gorm:"column:created_at"`
	UpdatedAt         time.Time  `gorm:"column:updated_at"`
}

// TableName tells GORM where appointments live.
func (Appointment) TableName() string { return "appointments" }

// Live reports whether the appointment still holds its agent's time.
func (a *Appointment) Live() bool { return a.Status == StatusBooked || a.Status == StatusJoined }
