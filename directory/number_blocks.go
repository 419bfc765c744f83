package directory

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/region"
)

// Block is a range of numbers owned by one region: only that region's
// nodes hand out its numbers in sequence, and only that region's database
// decides who holds a vanity number inside it.
type Block struct {
	// Name keys the block's row in number_blocks (its sequence).
	Name string
	// Region owns the block.
	Region string
	// First and Last bound the block, both included.
	First, Last int64
	// Start is where the block's sequence begins (First, except for the
	// default block, which starts at --number-block-start).
	Start int64
}

// Contains reports whether num lies in the block.
func (b Block) Contains(num Number) bool {
	v := num.Value()
	return v >= b.First && v <= b.Last
}

// NumberPlan says which region this node serves and which region owns
// which numbers. The same plan is given to every node of every region, so
// every node knows, without asking anyone, where a number is arbitrated.
type NumberPlan struct {
	// Region is the region of this node.
	Region string
	// Blocks are the blocks of every region, in number order, never
	// overlapping.
	Blocks []Block
}

// defaultBlockName is the name of the one block of a plan that gives one
// region every number: the sequence every database made before regions
// already counts in.
const defaultBlockName = "default"

// maxBlocks bounds a plan: a handful per region is plenty.
const maxBlocks = 64

// ParseNumberPlan reads the --number-blocks plan "REGION=FIRST-LAST,…" for
// a node of region home. Numbers are 12 digits (spaces, dashes and dots
// between digit groups are not allowed here: "-" separates first from
// last). An empty spec gives home every number, handed out from start.
// Blocks may not overlap, and home must own at least one block. Errors say which
// part of the plan is wrong.
func ParseNumberPlan(home, spec string, start int64) (NumberPlan, error) {
	plan := NumberPlan{Region: home}
	if !region.ValidName(home) {
		return plan, fmt.Errorf("region %q must be 1 to 32 lowercase letters, digits or '-'", home)
	}
	if strings.TrimSpace(spec) == "" {
		if start == 0 {
			start = Lowest
		}
		if start < Lowest || start > Highest {
			return plan, fmt.Errorf("number block start %d must be a 12-digit number starting with 2–9", start)
		}
		plan.Blocks = []Block{{Name: defaultBlockName, Region: home, First: Lowest, Last: Highest, Start: start}}
		return plan, nil
	}
	parts := strings.Split(spec, ",")
	if len(parts) > maxBlocks {
		return plan, fmt.Errorf("--number-blocks has %d blocks; at most %d", len(parts), maxBlocks)
	}
	for _, part := range parts {
		part = strings.TrimSpace(part)
		owner, rng, ok := strings.Cut(part, "=")
		if !ok {
			return plan, fmt.Errorf("--number-blocks: %q must look like REGION=FIRST-LAST", part)
		}
		if !region.ValidName(owner) {
			return plan, fmt.Errorf("--number-blocks: region %q must be 1 to 32 lowercase letters, digits or '-'", owner)
		}
		a, b, ok := strings.Cut(rng, "-")
		if !ok {
			return plan, fmt.Errorf("--number-blocks: %q must look like REGION=FIRST-LAST", part)
		}
		first, err1 := blockEnd(a)
		last, err2 := blockEnd(b)
		if err1 != nil || err2 != nil {
			return plan, fmt.Errorf("--number-blocks: in %q, first and last must be 12-digit numbers starting with 2–9", part)
		}
		if first > last {
			return plan, fmt.Errorf("--number-blocks: in %q, the first number is after the last", part)
		}
		plan.Blocks = append(plan.Blocks, Block{Name: owner + "-" + a, Region: owner, First: first, Last: last, Start: first})
	}
	sort.Slice(plan.Blocks, func(i, j int) bool { return plan.Blocks[i].First < plan.Blocks[j].First })
	for i := 1; i < len(plan.Blocks); i++ {
		if prev, b := plan.Blocks[i-1], plan.Blocks[i]; b.First <= prev.Last {
			return plan, fmt.Errorf("--number-blocks: the blocks of %s (%d-%d) and %s (%d-%d) overlap", prev.Region, prev.First, prev.Last, b.Region, b.First, b.Last)
		}
	}
	if len(plan.Own()) == 0 {
		return plan, fmt.Errorf("--number-blocks gives region %q no block: every region needs at least one", home)
	}
	return plan, nil
}

// blockEnd parses one end of a block: exactly 12 digits, the first 2–9.
func blockEnd(s string) (int64, error) {
	if len(s) != 12 || s[0] < '2' || s[0] > '9' {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("not a number: %q", s)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// Own returns the blocks of the plan's own region, in number order.
func (p NumberPlan) Own() []Block {
	var own []Block
	for _, b := range p.Blocks {
		if b.Region == p.Region {
			own = append(own, b)
		}
	}
	return own
}

// OwnerOf returns the region that owns num; ok is false when num lies in
// no block of the plan (nobody may hand it out).
func (p NumberPlan) OwnerOf(num Number) (region string, ok bool) {
	for _, b := range p.Blocks {
		if b.Contains(num) {
			return b.Region, true
		}
	}
	return "", false
}

// blockOf returns the block that holds num.
func (p NumberPlan) blockOf(num Number) (Block, bool) {
	for _, b := range p.Blocks {
		if b.Contains(num) {
			return b, true
		}
	}
	return Block{}, false
}

// numberBlockRow is a block's row: its owner, bounds and sequence.
type numberBlockRow struct {
	Name       string `gorm:"column:name;primaryKey"`
	NextNumber int64  `gorm:"column:next_number"`
	Region     string `gorm:"column:region"`
	First      int64  `gorm:"column:first_number"`
	Last       int64  `gorm:"column:last_number"`
}

// TableName tells GORM where blocks live.
func (numberBlockRow) TableName() string { return "number_blocks" }

// RecordPlan writes the plan's blocks into number_blocks: new blocks with
// their sequence at the start, known ones with the owner and bounds the
// plan gives them (their sequence goes on where it was).
func (n *Numbers) RecordPlan(ctx context.Context) error {
	for _, b := range n.plan.Blocks {
		err := n.db.WithContext(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "name"}},
			DoUpdates: clause.AssignmentColumns([]string{"region", "first_number", "last_number"}),
		}).Create(&numberBlockRow{Name: b.Name, NextNumber: b.Start, Region: b.Region, First: b.First, Last: b.Last}).Error
		if err != nil {
			return fmt.Errorf("record number block %s: %w", b.Name, err)
		}
	}
	return nil
}

// Plan returns the number plan the node works with.
func (n *Numbers) Plan() NumberPlan { return n.plan }

// allocateSequential takes the next free number of this region's blocks
// in tx, the first block first. The block's row is locked until tx ends, so
// concurrent allocations queue up instead of colliding, and a rolled-back
// allocation leaves no gap. Numbers already held (vanity numbers inside
// the block, here or claimed from another region) are skipped. When every
// block of the region is used up the allocation is Unavailable.
func (n *Numbers) allocateSequential(tx *gorm.DB) (Number, error) {
	for _, b := range n.own {
		num, ok, err := n.allocateIn(tx, b)
		if err != nil || ok {
			return num, err
		}
	}
	return "", apperr.New(apperr.Unavailable, "the number blocks of region %s are exhausted", n.plan.Region)
}

// allocateIn takes the next free number of block b; ok is false when the
// block is used up.
func (n *Numbers) allocateIn(tx *gorm.DB, b Block) (Number, bool, error) {
	err := tx.Exec("INSERT INTO number_blocks (name, next_number, region, first_number, last_number) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
		b.Name, b.Start, b.Region, b.First, b.Last).Error
	if err != nil {
		return "", false, fmt.Errorf("create number block %s: %w", b.Name, err)
	}
	for {
		var next int64 // stays 0 when the block is used up: no row comes back
		err := tx.Raw("UPDATE number_blocks SET next_number = next_number + 1 WHERE name = ? AND next_number <= ? RETURNING next_number - 1", b.Name, b.Last).Scan(&next).Error
		if err != nil {
			return "", false, fmt.Errorf("advance number block %s: %w", b.Name, err)
		}
		if next == 0 {
			return "", false, nil
		}
		num, err := NumberFromValue(next)
		if err != nil {
			return "", false, nil
		}
		held, err := heldAnywhere(tx, num)
		if err != nil {
			return "", false, err
		}
		if !held {
			return num, true, nil
		}
	}
}

// heldAnywhere reports whether num is held by an account of this region
// or a store here (numbers), or claimed by a member of another region
// (number_claims).
func heldAnywhere(tx *gorm.DB, num Number) (bool, error) {
	var held int64
	err := tx.Raw("SELECT (SELECT COUNT(*) FROM numbers WHERE number = ?) + (SELECT COUNT(*) FROM number_claims WHERE number = ?)", num, num).Scan(&held).Error
	if err != nil {
		return false, fmt.Errorf("is %s held: %w", num, err)
	}
	return held > 0, nil
}

// lockBlock locks the row of the block that holds num until tx ends, so
// that a vanity grant here and a claim from another region for the same
// number take turns (the one database of the owning region decides).
func lockBlock(tx *gorm.DB, b Block) error {
	err := tx.Exec("INSERT INTO number_blocks (name, next_number, region, first_number, last_number) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
		b.Name, b.Start, b.Region, b.First, b.Last).Error
	if err == nil {
		err = tx.Exec("UPDATE number_blocks SET next_number = next_number WHERE name = ?", b.Name).Error
	}
	if err != nil {
		return fmt.Errorf("lock number block %s: %w", b.Name, err)
	}
	return nil
}
