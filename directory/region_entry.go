package directory

// Directory entries across regions. A member's entry holds only what the
// directory listing shows of them (name, listed flag, interests, numbers,
// home region): never an email, a birth date or an address. The home
// region's nodes publish entries to a JetStream stream; every other
// region keeps them in region_entries (region_directory.go).

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/region"
)

// RegionEntry is one member's public directory entry, as their home region
// publishes it. An entry without numbers withdraws the member.
type RegionEntry struct {
	AccountID string `json:"accountId"`
	// Region is the member's home region.
	Region string `json:"region"`
	Name   string `json:"name"`
	// Listed: the member appears in the directory listing (they chose to,
	// and their email is verified); unlisted members resolve by number.
	Listed    bool          `json:"listed"`
	Interests []string      `json:"interests"`
	Numbers   []EntryNumber `json:"numbers"`
	// Version is the home region's time of the entry in nanoseconds: an
	// entry never replaces one with a higher version.
	Version int64 `json:"version"`
}

// EntryNumber is one number of an entry.
type EntryNumber struct {
	Number  Number `json:"number"`
	Primary bool   `json:"primary"`
}

// maxEntryBytes bounds an entry: a name, ten interests, five numbers.
const maxEntryBytes = 4096

// maxEntryName bounds a name in an entry, in characters.
const maxEntryName = 200

// ParseRegionEntry reads an entry published by another region's node.
// Anything but one object with exactly the entry's fields, a valid account
// id and region, a name of 1–200 printable characters, valid interests,
// at most MaxNumbersPerAccount distinct numbers as 12 digits with exactly
// one primary (or none at all, a withdrawal) and a positive version is
// Invalid.
func ParseRegionEntry(data []byte) (RegionEntry, error) {
	var e RegionEntry
	if len(data) > maxEntryBytes {
		return e, apperr.New(apperr.Invalid, "a directory entry is at most %d bytes", maxEntryBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw struct {
		AccountID *string   `json:"accountId"`
		Region    *string   `json:"region"`
		Name      *string   `json:"name"`
		Listed    *bool     `json:"listed"`
		Interests *[]string `json:"interests"`
		Numbers   *[]struct {
			Number  *string `json:"number"`
			Primary *bool   `json:"primary"`
		} `json:"numbers"`
		Version *int64 `json:"version"`
	}
	if err := dec.Decode(&raw); err != nil {
		return e, apperr.New(apperr.Invalid, "a directory entry is a JSON object with accountId, region, name, listed, interests, numbers and version")
	}
	if dec.More() {
		return e, apperr.New(apperr.Invalid, "a directory entry is one JSON object")
	}
	if raw.AccountID == nil || raw.Region == nil || raw.Name == nil || raw.Listed == nil || raw.Interests == nil || raw.Numbers == nil || raw.Version == nil {
		return e, apperr.New(apperr.Invalid, "a directory entry needs accountId, region, name, listed, interests, numbers and version")
	}
	if !validAccountID(*raw.AccountID) {
		return e, apperr.New(apperr.Invalid, "a directory entry's accountId must be 1 to 64 letters, digits, '_' or '-'")
	}
	if !region.ValidName(*raw.Region) {
		return e, apperr.New(apperr.Invalid, "a directory entry's region must be 1 to 32 lowercase letters, digits or '-'")
	}
	if !validEntryName(*raw.Name) {
		return e, apperr.New(apperr.Invalid, "a directory entry's name must be 1 to %d printable characters", maxEntryName)
	}
	if *raw.Version <= 0 {
		return e, apperr.New(apperr.Invalid, "a directory entry's version must be positive")
	}
	joined, err := joinInterests(*raw.Interests)
	if err != nil {
		return e, err
	}
	e = RegionEntry{AccountID: *raw.AccountID, Region: *raw.Region, Name: *raw.Name, Listed: *raw.Listed,
		Interests: splitInterests(joined), Version: *raw.Version, Numbers: []EntryNumber{}}
	if len(*raw.Numbers) > MaxNumbersPerAccount {
		return e, apperr.New(apperr.Invalid, "a directory entry holds at most %d numbers", MaxNumbersPerAccount)
	}
	seen, primaries := map[Number]bool{}, 0
	for _, n := range *raw.Numbers {
		if n.Number == nil || n.Primary == nil {
			return e, apperr.New(apperr.Invalid, "each number of a directory entry needs number and primary")
		}
		num, err := ParseNumber(*n.Number)
		if err != nil {
			return e, err
		}
		if string(num) != *n.Number {
			return e, apperr.New(apperr.Invalid, "a directory entry carries numbers as 12 digits")
		}
		if seen[num] {
			return e, apperr.New(apperr.Invalid, "a directory entry lists the number %s twice", num)
		}
		seen[num] = true
		if *n.Primary {
			primaries++
		}
		e.Numbers = append(e.Numbers, EntryNumber{Number: num, Primary: *n.Primary})
	}
	if len(e.Numbers) > 0 && primaries != 1 {
		return e, apperr.New(apperr.Invalid, "a directory entry has exactly one primary number, not %d", primaries)
	}
	return e, nil
}

// validEntryName reports whether name can be shown as a member's name.
func validEntryName(name string) bool {
	if strings.TrimSpace(name) == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxEntryName {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
