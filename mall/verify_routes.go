package mall

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// Closing serves what closes an order beyond the cart: age checks by
// staff, passkey signatures by members and store credit.
type Closing struct {
	Shop       *Shop
	AgeChecks  *AgeChecks
	Signatures *Signatures
	Credit     *Credit
}

// NewClosing builds the age check, signing and credit services over the
// shop's database; passkeys come from a, members' roles from accounts,
// live video from witness, the engagements credit is sent in from calls,
// verified addresses from emails.
func NewClosing(shop *Shop, a *auth.Service, accounts Accounts, witness Witness, calls CreditCalls, emails VerifiedEmails) *Closing {
	db := shop.Orders.db
	return &Closing{Shop: shop, AgeChecks: NewAgeChecks(db, accounts, witness), Signatures: NewSignatures(db, a),
		Credit: NewCredit(db, accounts, calls, emails, a)}
}

// Routes registers the signing and credit endpoints on api (the age check is
// the engagement's: AgeJudgements.Routes).
func (h *Closing) Routes(api fiber.Router) {
	staff := auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor)
	api.Post("/orders/:id/sign/begin", h.handleSignBegin)
	api.Post("/orders/:id/sign/finish", h.handleSignFinish)
	h.creditRoutes(api, staff)
}

// SignFinishRequest is the body of POST /orders/{id}/sign/finish.
type SignFinishRequest struct {
	Ceremony   string          `json:"ceremony" required:"true"`
	Credential json.RawMessage `json:"credential" required:"true"`
}

// ParseSignFinishRequest decodes the finish body strictly; the credential
// must be a JSON object (the browser's PublicKeyCredential.toJSON()).
func ParseSignFinishRequest(body []byte) (SignFinishRequest, error) {
	var r SignFinishRequest
	if err := web.DecodeJSONBytes(body, &r); err != nil {
		return r, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(r.Credential, &obj); err != nil || obj == nil {
		return r, apperr.New(apperr.Invalid, "field \"credential\" must be the passkey's answer, a JSON object")
	}
	return r, nil
}

// payRequest is the optional body of POST /orders/{id}/pay.
type payRequest struct {
	Method string `json:"method"`
}

// ParsePayMethod reads the optional payment method of POST
// /orders/{id}/pay: none (or the provider's name) pays through the
// provider, "credit" with store credit.
func ParsePayMethod(body []byte, provider string) (string, error) {
	var r payRequest
	if err := web.DecodeJSONBytes(body, &r); err != nil {
		return "", err
	}
	switch r.Method {
	case "", provider:
		return provider, nil
	case "credit":
		return StoreCreditProvider, nil
	}
	return "", apperr.New(apperr.Invalid, "payment method %q is not offered: send \"credit\" for store credit, or leave it out", r.Method)
}

// decodeBody checks the content type of a JSON body and returns it.
func decodeBody(c *fiber.Ctx) ([]byte, error) {
	var probe json.RawMessage
	if err := web.DecodeJSON(c, &probe); err != nil {
		return nil, err
	}
	return c.Body(), nil
}

// signer loads the member's order for signing; a guest's order is refused.
func (h *Closing) signer(c *fiber.Ctx) (Shopper, *Order, error) {
	s, o, err := h.Shop.ownOrder(c)
	if err != nil {
		return s, nil, err
	}
	if s.AccountID == "" {
		return s, nil, apperr.New(apperr.Conflict, "only members can sign orders with a passkey: sign up first")
	}
	return s, o, nil
}

func (h *Closing) handleSignBegin(c *fiber.Ctx) error {
	if len(c.Body()) > 0 {
		if err := web.DecodeJSON(c, &struct{}{}); err != nil {
			return err
		}
	}
	s, o, err := h.signer(c)
	if err != nil {
		return err
	}
	b, err := h.Signatures.BeginSigning(c.UserContext(), s.AccountID, o)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (h *Closing) handleSignFinish(c *fiber.Ctx) error {
	if _, err := decodeBody(c); err != nil {
		return err
	}
	req, err := ParseSignFinishRequest(c.Body())
	if err != nil {
		return err
	}
	s, o, err := h.signer(c)
	if err != nil {
		return err
	}
	signed, err := h.Signatures.FinishSigning(c.UserContext(), s.AccountID, o.ID, req.Ceremony, req.Credential)
	if err != nil {
		return err
	}
	v, err := h.Shop.Orders.View(c.UserContext(), signed)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"order": v})
}
