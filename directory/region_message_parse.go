package directory

// The request that carries a message left for a member of another region
// to that region (region_outbox.go sends it, region_inbox.go answers it),
// and its strict parsers.

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/media"
)

// Kinds of region message requests: an offer names the message and what
// it holds; chunks carry its bytes, in order, to the node that took the
// offer.
const (
	regionMessageOffer = "offer"
	regionMessageChunk = "chunk"
)

// Bounds of a region message request and its answer. A chunk's bytes
// travel as base64 in JSON: 192 KiB of them stay far below NATS's default
// maximum payload of 1 MiB.
const (
	regionChunkBytes        = 192 << 10
	maxRegionMessageRequest = 300 << 10
	maxRegionMessageAnswer  = 1024
	// maxRegionMessageBytes bounds a message's file: a video message of the
	// longest length a mailbox records is far smaller.
	maxRegionMessageBytes = 64 << 20
	// maxRegionMessageDuration bounds what a request may claim; the
	// answering region holds it to its own longest message.
	maxRegionMessageDuration = time.Hour
	maxRegionFromName        = 200
)

// RegionMessageRequest is one request of a message's delivery to the
// member's home region: an offer (every field but Offset and Data) or a
// chunk (Kind, ID, Offset and Data).
type RegionMessageRequest struct {
	Kind string `json:"kind"`
	// ID is the message's id ("msg_" and 24 hex digits), the same in both
	// regions: the answering region keeps a message once by it.
	ID          string    `json:"id"`
	AccountID   string    `json:"accountId,omitempty"`
	Number      Number    `json:"number,omitempty"`
	FromName    string    `json:"fromName,omitempty"`
	FromNumber  *Number   `json:"fromNumber,omitempty"`
	ContentType string    `json:"contentType,omitempty"`
	DurationMS  int64     `json:"durationMs,omitempty"`
	Bytes       int64     `json:"bytes,omitempty"`
	SHA256      string    `json:"sha256,omitempty"`
	CreatedAt   time.Time `json:"createdAt,omitzero"`
	Offset      int64     `json:"offset,omitempty"`
	Data        []byte    `json:"data,omitempty"`
}

// RegionMessageAnswer is the answering region's word on a request: to an
// offer, the node token the chunks go to, or Delivered when it keeps the
// message already; to the last chunk, Delivered; or why not.
type RegionMessageAnswer struct {
	Node      string           `json:"node,omitempty"`
	Delivered bool             `json:"delivered,omitempty"`
	Error     *web.ErrorDetail `json:"error,omitempty"`
}

// ParseRegionMessageRequest reads a request strictly: one JSON object of
// at most maxRegionMessageRequest bytes, of a known kind, with exactly the
// fields its kind carries, each well formed (see the bad cases in
// region_message_parse_test.go). Anything else is Invalid.
func ParseRegionMessageRequest(data []byte) (RegionMessageRequest, error) {
	var out RegionMessageRequest
	bad := func(format string, args ...any) (RegionMessageRequest, error) {
		return RegionMessageRequest{}, apperr.New(apperr.Invalid, "a region message request "+format, args...)
	}
	if len(data) > maxRegionMessageRequest {
		return bad("is at most %d bytes", maxRegionMessageRequest)
	}
	var raw struct {
		Kind        *string    `json:"kind"`
		ID          *string    `json:"id"`
		AccountID   *string    `json:"accountId"`
		Number      *string    `json:"number"`
		FromName    *string    `json:"fromName"`
		FromNumber  *string    `json:"fromNumber"`
		ContentType *string    `json:"contentType"`
		DurationMS  *int64     `json:"durationMs"`
		Bytes       *int64     `json:"bytes"`
		SHA256      *string    `json:"sha256"`
		CreatedAt   *time.Time `json:"createdAt"`
		Offset      *int64     `json:"offset"`
		Data        *[]byte    `json:"data"`
	}
	if err := decodeOne(data, &raw); err != nil {
		return bad("is one JSON object of known fields")
	}
	if raw.Kind == nil || raw.ID == nil {
		return bad("needs kind and id")
	}
	if !isMessageID(*raw.ID) {
		return bad("names its message as msg_ and 24 hex digits")
	}
	out.Kind, out.ID = *raw.Kind, *raw.ID
	switch out.Kind {
	case regionMessageChunk:
		if raw.AccountID != nil || raw.Number != nil || raw.FromName != nil || raw.FromNumber != nil || raw.ContentType != nil ||
			raw.DurationMS != nil || raw.Bytes != nil || raw.SHA256 != nil || raw.CreatedAt != nil {
			return bad("of kind chunk carries only id, offset and data")
		}
		if raw.Offset == nil || raw.Data == nil {
			return bad("of kind chunk needs offset and data")
		}
		if *raw.Offset < 0 || *raw.Offset >= maxRegionMessageBytes {
			return bad("chunk's offset lies within the message")
		}
		if len(*raw.Data) == 0 || len(*raw.Data) > regionChunkBytes {
			return bad("chunk carries 1 to %d bytes", regionChunkBytes)
		}
		out.Offset, out.Data = *raw.Offset, *raw.Data
		return out, nil
	case regionMessageOffer:
	default:
		return bad("is of kind offer or chunk")
	}
	if raw.Offset != nil || raw.Data != nil {
		return bad("of kind offer carries no offset or data")
	}
	if raw.AccountID == nil || raw.Number == nil || raw.FromName == nil || raw.ContentType == nil || raw.DurationMS == nil ||
		raw.Bytes == nil || raw.SHA256 == nil || raw.CreatedAt == nil {
		return bad("of kind offer needs accountId, number, fromName, contentType, durationMs, bytes, sha256 and createdAt")
	}
	if !validAccountID(*raw.AccountID) {
		return bad("names the account as 1 to 64 letters, digits, '_' or '-'")
	}
	num, err := ParseNumber(*raw.Number)
	if err != nil || string(num) != *raw.Number {
		return bad("carries the number as 12 digits")
	}
	if raw.FromNumber != nil {
		from, err := ParseNumber(*raw.FromNumber)
		if err != nil || string(from) != *raw.FromNumber {
			return bad("carries the caller's number as 12 digits")
		}
		out.FromNumber = &from
	}
	name := *raw.FromName
	if strings.TrimSpace(name) == "" || len(name) > maxRegionFromName || strings.ContainsAny(name, "\x00\r\n") {
		return bad("names the caller in 1 to %d characters on one line", maxRegionFromName)
	}
	if *raw.ContentType != media.RecordingAudioType && *raw.ContentType != media.RecordingVideoType {
		return bad("holds %s or %s", media.RecordingAudioType, media.RecordingVideoType)
	}
	if *raw.DurationMS <= 0 || *raw.DurationMS > maxRegionMessageDuration.Milliseconds() {
		return bad("lasts more than nothing and at most an hour")
	}
	if *raw.Bytes <= 0 || *raw.Bytes > maxRegionMessageBytes {
		return bad("holds 1 to %d bytes", maxRegionMessageBytes)
	}
	if sum, err := hex.DecodeString(*raw.SHA256); err != nil || len(sum) != 32 || strings.ToLower(*raw.SHA256) != *raw.SHA256 {
		return bad("carries its SHA-256 as 64 lowercase hex digits")
	}
	if raw.CreatedAt.IsZero() || raw.CreatedAt.Year() < 2000 || raw.CreatedAt.Year() > 9999 {
		return bad("says when it was left")
	}
	out.AccountID, out.Number, out.FromName, out.ContentType = *raw.AccountID, num, name, *raw.ContentType
	out.DurationMS, out.Bytes, out.SHA256, out.CreatedAt = *raw.DurationMS, *raw.Bytes, *raw.SHA256, raw.CreatedAt.UTC()
	return out, nil
}

// ParseRegionMessageAnswer reads an answer strictly: an error (a known
// code and a short message) alone, or a node token (hex), or Delivered.
func ParseRegionMessageAnswer(data []byte) (RegionMessageAnswer, error) {
	var out RegionMessageAnswer
	if len(data) > maxRegionMessageAnswer {
		return out, apperr.New(apperr.Invalid, "a region message answer is at most %d bytes", maxRegionMessageAnswer)
	}
	if err := decodeOne(data, &out); err != nil {
		return RegionMessageAnswer{}, apperr.New(apperr.Invalid, "a region message answer is one JSON object of known fields")
	}
	if out.Error != nil {
		if out.Node != "" || out.Delivered || !knownCode(out.Error.Code) || out.Error.Message == "" || len(out.Error.Message) > maxRingErrorMessage {
			return RegionMessageAnswer{}, apperr.New(apperr.Invalid, "a region message answer's error has a known code and a short message, and nothing beside it")
		}
		return out, nil
	}
	if out.Node != "" && (out.Delivered || !validDeviceID(out.Node)) {
		return RegionMessageAnswer{}, apperr.New(apperr.Invalid, "a region message answer names a node as hex digits, or says delivered")
	}
	return out, nil
}

// isMessageID reports whether id has the shape saveRecording gives a
// message: "msg_" and 24 lowercase hex digits.
func isMessageID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, "msg_")
	return ok && isCallID("call_"+hexPart)
}
