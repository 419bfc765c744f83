package agentdesk

import (
	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/web"
)

// transferRoutes registers the desk's transfers: the colleagues and lines
// to transfer to, starting a transfer of the agent's live call, and
// completing a warm one. The store is the signed-in agent's own.
func (d *Desk) transferRoutes(api fiber.Router, staff fiber.Handler) {
	api.Get("/desk/transfer-targets", staff, d.handleTransferTargets)
	api.Post("/desk/engagements/:entry/transfer", staff, d.handleTransfer)
	api.Post("/desk/transfers/:id/complete", staff, d.handleCompleteTransfer)
	api.Get("/desk/engagements/:entry/transfers", staff, d.handleTransfers)
}

func (d *Desk) handleTransferTargets(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	people, lines, err := d.queue.TransferTargets(c.UserContext(), a.ID, *a.StoreID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"colleagues": people, "lines": lines})
}

func (d *Desk) handleTransfer(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	var req TransferRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	t, err := d.queue.StartTransfer(c.UserContext(), a.ID, *a.StoreID, c.Params("entry"), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"transfer": t})
}

func (d *Desk) handleCompleteTransfer(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	t, err := d.queue.CompleteTransfer(c.UserContext(), a.ID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"transfer": t})
}

// handleTransfers lists an engagement's transfers, for the store's staff
// (an entry of another store is NotFound).
func (d *Desk) handleTransfers(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	if _, err := d.engagements.View(c.UserContext(), *a.StoreID, c.Params("entry")); err != nil {
		return err
	}
	ts, err := d.queue.TransfersOf(c.UserContext(), c.Params("entry"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"transfers": ts})
}
