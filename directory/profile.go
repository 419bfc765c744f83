package directory

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
)

// MaxInterests is how many interests a member may list.
const MaxInterests = 10

var interestPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9 -]{0,29}$`)

// normalizeInterest lower-cases and checks one interest.
func normalizeInterest(s string) (string, error) {
	t := strings.Join(strings.Fields(strings.ToLower(s)), " ")
	if !interestPattern.MatchString(t) {
		return "", apperr.New(apperr.Invalid, "interest %q must be 1 to 30 letters, digits, spaces or dashes", s)
	}
	return t, nil
}

// joinInterests normalizes a member's interests into the stored form
// ",a,b,", refusing more than MaxInterests or a bad one.
func joinInterests(in []string) (string, error) {
	if len(in) > MaxInterests {
		return "", apperr.New(apperr.Invalid, "at most %d interests, not %d", MaxInterests, len(in))
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		t, err := normalizeInterest(s)
		if err != nil {
			return "", err
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "", nil
	}
	return "," + strings.Join(out, ",") + ",", nil
}

// splitInterests is the inverse of joinInterests.
func splitInterests(s string) []string {
	out := []string{}
	for _, t := range strings.Split(strings.Trim(s, ","), ",") {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// ProfileUpdate changes a member's directory settings; nil fields stay.
type ProfileUpdate struct {
	Listed    *bool
	Interests *[]string
	RingMode  *RingMode
	// ShowInMall lets other shoppers see the member's avatar on the building
	// of the store they are in.
	ShowInMall *bool
}

// ProfileOf returns the member's profile, creating the default one if the
// member has none yet.
func (s *Service) ProfileOf(ctx context.Context, accountID string) (*Profile, error) {
	db := s.db.WithContext(ctx)
	var p Profile
	err := db.Where("account_id = ?", accountID).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		p = Profile{AccountID: accountID, Listed: true, RingMode: RingNewest}
		err = db.Clauses(clause.OnConflict{DoNothing: true}).Create(&p).Error
	}
	if err != nil {
		return nil, fmt.Errorf("load profile: %w", err)
	}
	return &p, nil
}

// UpdateProfile applies u to the member's profile in one statement.
func (s *Service) UpdateProfile(ctx context.Context, accountID string, u ProfileUpdate) (*Profile, error) {
	if _, err := s.ProfileOf(ctx, accountID); err != nil {
		return nil, err
	}
	changes := map[string]any{}
	if u.Listed != nil {
		changes["listed"] = *u.Listed
	}
	if u.Interests != nil {
		joined, err := joinInterests(*u.Interests)
		if err != nil {
			return nil, err
		}
		changes["interests"] = joined
	}
	if u.RingMode != nil {
		if *u.RingMode != RingNewest && *u.RingMode != RingAll {
			return nil, apperr.New(apperr.Invalid, "ring mode must be \"newest\" or \"all\", not %q", *u.RingMode)
		}
		changes["ring_mode"] = *u.RingMode
	}
	if u.ShowInMall != nil {
		changes["show_in_mall"] = *u.ShowInMall
	}
	if len(changes) > 0 {
		if err := s.db.WithContext(ctx).Model(&Profile{}).Where("account_id = ?", accountID).Updates(changes).Error; err != nil {
			return nil, fmt.Errorf("update profile: %w", err)
		}
		if u.RingMode != nil {
			s.routesChanged(accountID)
		}
		s.entriesChanged()
	}
	return s.ProfileOf(ctx, accountID)
}

// ShowsInMall reports whether the member chose to be seen in the mall
// (false for a member without a profile).
func (s *Service) ShowsInMall(ctx context.Context, accountID string) (bool, error) {
	var shown []bool
	if err := s.db.WithContext(ctx).Model(&Profile{}).Where("account_id = ?", accountID).Pluck("show_in_mall", &shown).Error; err != nil {
		return false, fmt.Errorf("load mall visibility: %w", err)
	}
	return len(shown) > 0 && shown[0], nil
}
