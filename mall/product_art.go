package mall

import (
	"bytes"
	"fmt"
	"strings"
)

// Product pictures are drawn by code: each kind of product (a bottle, a
// tent, a phone, a plush fox …) has a small illustration, picked by words
// in the product's name, SKU and department, coloured from a palette the
// SKU picks so that a store's shelf does not look like one stamp. A
// product of no known kind gets a shopping bag in the store's colour.

// rgb is a colour.
type rgb struct{ r, g, b uint8 }

func (c rgb) hex() string { return hexColor(c.r, c.g, c.b) }

// lighter mixes the colour toward white by t.
func (c rgb) lighter(t float64) rgb { return rgb{mix(c.r, 255, t), mix(c.g, 255, t), mix(c.b, 255, t)} }

// darker mixes the colour toward black by t.
func (c rgb) darker(t float64) rgb { return rgb{mix(c.r, 0, t), mix(c.g, 0, t), mix(c.b, 0, t)} }

// must reads a #rrggbb constant.
func must(hex string) rgb {
	r, g, b, _ := parseHexColor(hex)
	return rgb{r, g, b}
}

// productPalette holds the colours products come in.
var productPalette = []rgb{must("#2f4b7c"), must("#3a6b4f"), must("#8c2f39"), must("#c98a2b"), must("#4a5568"),
	must("#2b7a78"), must("#b5552f"), must("#5b3f8c"), must("#2d3142"), must("#a23e48")}

// artist draws one illustration into w: brand is the store's colour,
// accent the product's.
type artist func(w *bytes.Buffer, brand, accent rgb)

// artKind is a kind of product: the words that name it and its drawing.
type artKind struct {
	words []string
	draw  artist
}

// artKinds are tried in order; the first kind with a word in the product's
// name, SKU or department draws it.
var artKinds = []artKind{
	{[]string{"care plan", "care+", "repair", "warranty", "services"}, drawShield},
	{[]string{"tumbler"}, drawTumblers},
	{[]string{"glasses"}, drawGlasses},
	{[]string{"decanter"}, drawDecanter},
	{[]string{"corkscrew", "opener"}, drawCorkscrew},
	{[]string{"prosecco", "sparkling", "champagne"}, bottle(must("#3f5a2a"), must("#f3ead2"), must("#d8b64a"), false)},
	{[]string{"rum", "whisky", "whiskey", "cognac", "grappa", "spirits"}, bottle(must("#b8742a"), must("#1d2033"), must("#1d2033"), true)},
	{[]string{"vermentino", "soave", "white wine"}, bottle(must("#a9b86a"), must("#fbf6e9"), must("#c8a64a"), false)},
	{[]string{"wine", "barolo", "chianti", "primitivo"}, bottle(must("#3b1020"), must("#f4ecdc"), must("#7d1d2f"), false)},
	{[]string{"footprint"}, drawTarp},
	{[]string{"tent"}, drawTent},
	{[]string{"sleeping bag"}, drawSleepingBag},
	{[]string{"mat"}, drawMat},
	{[]string{"boot"}, drawBoot},
	{[]string{"sock"}, drawSocks},
	{[]string{"parka", "coat", "jacket", "outerwear"}, drawJacket},
	{[]string{"cardigan", "crew neck", "knit", "sweater"}, drawSweater},
	{[]string{"shirt"}, drawShirt},
	{[]string{"scarf"}, drawScarf},
	{[]string{"belt"}, drawBelt},
	{[]string{"whetstone"}, drawWhetstone},
	{[]string{"block set", "knife block"}, drawKnifeBlock},
	{[]string{"knife", "knives"}, drawKnife},
	{[]string{"espresso maker", "moka"}, drawMoka},
	{[]string{"stove"}, drawStove},
	{[]string{"case"}, drawPhoneCase},
	{[]string{"smartphone", "phone-x"}, drawPhone},
	{[]string{"charger"}, drawCharger},
	{[]string{"buds"}, drawEarbuds},
	{[]string{"speaker"}, drawSpeaker},
	{[]string{"sleeve"}, drawSleeve},
	{[]string{"mouse"}, drawMouse},
	{[]string{"laptop", "lumenbook", "book-14"}, drawLaptop},
	{[]string{"dutch oven", "pot"}, drawDutchOven},
	{[]string{"pan"}, drawPan},
	{[]string{"cutting board"}, drawBoard},
	{[]string{"grinder"}, drawGrinder},
	{[]string{"beans", "coffee"}, drawCoffeeBag},
	{[]string{"mill"}, drawMills},
	{[]string{"humidor"}, drawHumidor},
	{[]string{"cigar cutter", "cutter"}, drawCutter},
	{[]string{"lighter"}, drawLighter},
	{[]string{"cigar"}, drawCigars},
	{[]string{"building blocks", "blocks"}, drawBlocks},
	{[]string{"stacking", "stacker"}, drawStacker},
	{[]string{"robot"}, drawRobot},
	{[]string{"telescope"}, drawTelescope},
	{[]string{"star map"}, drawStarMap},
	{[]string{"puzzle"}, drawPuzzle},
	{[]string{"board game", "games"}, drawGameBox},
	{[]string{"plush", "fox"}, drawFox},
	{[]string{"batter"}, drawBatteries},
	{[]string{"gift"}, drawGift},
	{[]string{"kit"}, drawKit},
}

// artFor picks the drawing of a product.
func artFor(p Product) artist {
	text := strings.ToLower(p.Name + " " + p.SKU + " " + p.Department)
	for _, k := range artKinds {
		for _, word := range k.words {
			if strings.Contains(text, word) {
				return k.draw
			}
		}
	}
	return drawBag
}

// f writes formatted SVG.
func f(w *bytes.Buffer, format string, args ...any) { fmt.Fprintf(w, format, args...) }

// gloss is a soft white highlight stroke from (x1,y1) to (x2,y2).
func gloss(w *bytes.Buffer, x1, y1, x2, y2, width float64) {
	f(w, `<path d="M%.0f %.0fL%.0f %.0f" stroke="#fff" stroke-opacity=".35" stroke-width="%.0f" stroke-linecap="round"/>`, x1, y1, x2, y2, width)
}

// bottle returns a bottle drawing: glass, label and capsule colours; squat
// for spirits.
func bottle(glass, label, capsule rgb, squat bool) artist {
	return func(w *bytes.Buffer, _, accent rgb) {
		if squat {
			// Spirits differ by their label; wines by their capsule's crest.
			label = accent.darker(.35)
			f(w, `<path d="M146 70h28v40c0 8 34 14 34 34v110a10 10 0 0 1-10 10h-76a10 10 0 0 1-10-10V144c0-20 34-26 34-34z" fill="%s"/>`, glass.hex())
			f(w, `<rect x="142" y="56" width="36" height="24" rx="4" fill="%s"/>`, capsule.hex())
			f(w, `<rect x="122" y="170" width="76" height="62" rx="4" fill="%s"/>`, label.hex())
			f(w, `<rect x="134" y="186" width="52" height="6" rx="3" fill="%s"/><rect x="142" y="204" width="36" height="4" rx="2" fill="%s" opacity=".6"/>`, glass.lighter(.3).hex(), glass.lighter(.3).hex())
			gloss(w, 124, 150, 124, 160, 6)
			return
		}
		f(w, `<path d="M149 46h22v62c0 12 22 18 22 38v112a8 8 0 0 1-8 8h-50a8 8 0 0 1-8-8V146c0-20 22-26 22-38z" fill="%s"/>`, glass.hex())
		f(w, `<rect x="147" y="42" width="26" height="34" rx="3" fill="%s"/>`, capsule.hex())
		f(w, `<rect x="133" y="168" width="54" height="58" rx="3" fill="%s"/>`, label.hex())
		f(w, `<circle cx="160" cy="186" r="8" fill="%s" stroke="%s" stroke-width="2"/>`, accent.lighter(.2).hex(), capsule.hex())
		f(w, `<rect x="142" y="202" width="36" height="4" rx="2" fill="%s"/><rect x="147" y="212" width="26" height="3" rx="1.5" fill="%s" opacity=".6"/>`, capsule.hex(), capsule.hex())
		gloss(w, 137, 152, 137, 250, 5)
	}
}

func drawGlasses(w *bytes.Buffer, _, _ rgb) {
	for i, x := range []float64{122, 198} {
		fill := "#7d1d2f"
		if i == 1 {
			fill = "#c98a2b"
		}
		f(w, `<path d="M%.0f 78h56c4 44-6 78-28 84-22-6-32-40-28-84z" fill="#e8eef6" fill-opacity=".7" stroke="#9aa7b8" stroke-width="2"/>`, x-28)
		f(w, `<path d="M%.0f 122h50c-2 20-10 34-25 38-15-4-23-18-25-38z" fill="%s" opacity=".9"/>`, x-25, fill)
		f(w, `<path d="M%.0f 162v76M%.0f 262h48" stroke="#9aa7b8" stroke-width="4" stroke-linecap="round"/>`, x, x-24)
		f(w, `<ellipse cx="%.0f" cy="262" rx="24" ry="5" fill="#dfe6ef" stroke="#9aa7b8" stroke-width="2"/>`, x)
		gloss(w, x-18, 92, x-16, 130, 4)
	}
}

func drawDecanter(w *bytes.Buffer, _, _ rgb) {
	f(w, `<path d="M146 52h28v70c40 24 66 64 66 104 0 24-20 38-44 38h-72c-24 0-44-14-44-38 0-40 26-80 66-104z" fill="#e8eef6" fill-opacity=".75" stroke="#9aa7b8" stroke-width="3"/>`)
	f(w, `<path d="M92 210c20 10 116 10 136 0 4 30-14 50-36 50h-64c-22 0-40-20-36-50z" fill="#6d1a2c"/>`)
	f(w, `<rect x="142" y="44" width="36" height="10" rx="4" fill="#9aa7b8"/>`)
	gloss(w, 110, 170, 102, 220, 6)
}

func drawCorkscrew(w *bytes.Buffer, _, accent rgb) {
	f(w, `<rect x="70" y="120" width="180" height="30" rx="15" fill="%s"/>`, accent.hex())
	f(w, `<rect x="80" y="128" width="160" height="6" rx="3" fill="#fff" opacity=".25"/>`)
	f(w, `<path d="M160 150c-14 8 14 14 0 22s14 14 0 22 14 14 0 22 14 14 0 22" fill="none" stroke="#9aa7b8" stroke-width="6" stroke-linecap="round"/>`)
	f(w, `<path d="M222 120l22-26h10l-18 26z" fill="#9aa7b8"/>`)
}

func drawTent(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M48 256L160 86l112 170z" fill="%s"/>`, accent.hex())
	f(w, `<path d="M160 86l112 170h-60z" fill="%s"/>`, accent.darker(.25).hex())
	f(w, `<path d="M160 130L120 256h80z" fill="%s"/>`, accent.darker(.5).hex())
	f(w, `<path d="M160 130l-24 126h24z" fill="%s"/>`, accent.lighter(.3).hex())
	f(w, `<path d="M160 86V70M48 256l-14 8M272 256l14 8" stroke="#4a5568" stroke-width="4" stroke-linecap="round"/>`)
}

func drawTarp(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M70 220l60-70h130l-60 70z" fill="%s"/>`, accent.hex())
	f(w, `<path d="M70 220h130v12H70z" fill="%s"/><path d="M200 220l60-70v12l-60 70z" fill="%s"/>`, accent.darker(.3).hex(), accent.darker(.45).hex())
	for _, p := range [][2]float64{{76, 216}, {196, 216}, {254, 154}, {134, 154}} {
		f(w, `<circle cx="%.0f" cy="%.0f" r="4" fill="#d8dee9"/>`, p[0], p[1])
	}
}

func drawSleepingBag(w *bytes.Buffer, _, accent rgb) {
	f(w, `<rect x="70" y="120" width="170" height="120" rx="18" fill="%s"/>`, accent.hex())
	f(w, `<ellipse cx="240" cy="180" rx="30" ry="60" fill="%s"/><ellipse cx="240" cy="180" rx="18" ry="40" fill="%s"/>`, accent.lighter(.2).hex(), accent.darker(.3).hex())
	for _, x := range []float64{110, 180} {
		f(w, `<rect x="%.0f" y="114" width="14" height="132" rx="4" fill="#2d3142"/>`, x)
	}
	gloss(w, 80, 140, 220, 140, 6)
}

func drawMat(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M60 200l70-90h140l-70 90z" fill="%s"/>`, accent.hex())
	for i := range 5 {
		x := 86.0 + float64(i)*26
		f(w, `<path d="M%.0f 196l64-82" stroke="%s" stroke-width="3"/>`, x, accent.darker(.25).hex())
	}
	f(w, `<path d="M60 200h140v14H60z" fill="%s"/><path d="M200 200l70-90v14l-70 90z" fill="%s"/>`, accent.darker(.3).hex(), accent.darker(.45).hex())
}

func drawBoot(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M92 70h76l8 110c36 8 64 24 64 50v14H84l4-60z" fill="%s"/>`, must("#7a4a2a").hex())
	f(w, `<path d="M92 70h76l2 26H90z" fill="%s"/>`, accent.hex())
	f(w, `<path d="M80 244h164v20H80z" fill="#2d3142"/><path d="M80 244h164v6H80z" fill="#4a5568"/>`)
	for i := range 5 {
		y := 110.0 + float64(i)*16
		f(w, `<path d="M150 %.0fl22 6" stroke="#f3ead2" stroke-width="4" stroke-linecap="round"/>`, y)
	}
	f(w, `<path d="M176 180c30 6 50 18 56 34" fill="none" stroke="%s" stroke-width="4" opacity=".5"/>`, accent.lighter(.4).hex())
}

func drawSocks(w *bytes.Buffer, _, accent rgb) {
	for i, x := range []float64{96, 160} {
		c := accent
		if i == 1 {
			c = accent.lighter(.25)
		}
		f(w, `<path d="M%.0f 60h52v120c0 10 6 16 18 24 20 14 14 50-16 50-16 0-26-8-38-20l-16-16c-8-8-10-16-10-26z" fill="%s"/>`, x, c.hex())
		f(w, `<path d="M%.0f 60h52v22h-52z" fill="%s"/>`, x, c.darker(.25).hex())
		f(w, `<path d="M%.0f 232c10 10 20 16 34 16" fill="none" stroke="%s" stroke-width="8" stroke-linecap="round"/>`, x+6, c.darker(.25).hex())
	}
}

func drawJacket(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M120 66l-44 22-28 120 30 8 18-70v120h128V146l18 70 30-8-28-120-44-22-40 18z" fill="%s"/>`, accent.hex())
	f(w, `<path d="M120 66l40 18 40-18-8-10h-64z" fill="%s"/>`, accent.darker(.35).hex())
	f(w, `<path d="M160 84v180" stroke="%s" stroke-width="4"/>`, accent.darker(.4).hex())
	f(w, `<path d="M118 190h26M176 190h26" stroke="%s" stroke-width="4" stroke-linecap="round"/>`, accent.darker(.3).hex())
	gloss(w, 106, 110, 106, 170, 6)
}

func drawSweater(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M122 68l-46 22-28 118 30 8 18-66v114h128V150l18 66 30-8-28-118-46-22c-8 14-22 20-38 20s-30-6-38-20z" fill="%s"/>`, accent.hex())
	f(w, `<path d="M122 68c8 14 22 20 38 20s30-6 38-20" fill="none" stroke="%s" stroke-width="8"/>`, accent.darker(.25).hex())
	f(w, `<path d="M96 254h128" stroke="%s" stroke-width="12"/>`, accent.darker(.25).hex())
	for i := range 6 {
		x := 112.0 + float64(i)*19
		f(w, `<path d="M%.0f 110v130" stroke="%s" stroke-width="2" opacity=".35"/>`, x, accent.darker(.4).hex())
	}
}

func drawShirt(w *bytes.Buffer, _, accent rgb) {
	c := accent.lighter(.55)
	f(w, `<path d="M124 62l-48 24-30 110 30 10 20-60v118h128V146l20 60 30-10-30-110-48-24-36 14z" fill="%s"/>`, c.hex())
	f(w, `<path d="M124 62l36 14-18 26zM196 62l-36 14 18 26z" fill="%s"/>`, c.darker(.15).hex())
	f(w, `<path d="M160 78v184" stroke="%s" stroke-width="2"/>`, c.darker(.3).hex())
	for i := range 5 {
		f(w, `<circle cx="166" cy="%.0f" r="3" fill="%s"/>`, 104+float64(i)*32, c.darker(.4).hex())
	}
}

func drawScarf(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M90 80c40-20 100-20 140 0v40c-40-20-100-20-140 0z" fill="%s"/>`, accent.hex())
	f(w, `<path d="M190 110l30 0 10 130h-44z" fill="%s"/><path d="M150 112h32l-6 120h-36z" fill="%s"/>`, accent.darker(.15).hex(), accent.hex())
	for i := range 6 {
		f(w, `<path d="M%.0f 232v18M%.0f 240v18" stroke="%s" stroke-width="3"/>`, 142+float64(i)*6, 188+float64(i)*7, accent.darker(.2).hex())
	}
}

func drawBelt(w *bytes.Buffer, _, _ rgb) {
	leather := must("#6b3f22")
	f(w, `<ellipse cx="160" cy="170" rx="100" ry="62" fill="none" stroke="%s" stroke-width="26"/>`, leather.hex())
	f(w, `<ellipse cx="160" cy="170" rx="100" ry="62" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="6 6"/>`, leather.lighter(.4).hex())
	f(w, `<rect x="232" y="146" width="40" height="48" rx="6" fill="none" stroke="#c9ced6" stroke-width="8"/>`)
}

func drawWhetstone(w *bytes.Buffer, _, _ rgb) {
	f(w, `<path d="M70 180l40-40h150l-40 40z" fill="#d8dee9"/><path d="M70 180h150v24H70z" fill="#3c6e9c"/><path d="M70 204h150v24H70z" fill="#c9c2b0"/>`)
	f(w, `<path d="M220 180l40-40v48l-40 40z" fill="#2c5a82"/><path d="M220 228l40-40v-0l-40 40z" fill="#a79f8b"/><path d="M220 204l40-40v24l-40 40z" fill="#a79f8b"/>`)
	f(w, `<path d="M70 180l40-40h150l-40 40z" fill="#4a7fb3"/>`)
}

func drawKnife(w *bytes.Buffer, _, _ rgb) {
	f(w, `<path d="M56 222L196 96c18-8 34 6 26 24L86 240z" fill="#d8dee9"/><path d="M56 222L196 96l8 8L80 234z" fill="#f5f7fa"/>`)
	f(w, `<path d="M192 124l58 -50c10-8 26 6 18 16l-50 58z" fill="#2d3142"/>`)
	f(w, `<circle cx="224" cy="106" r="3" fill="#c9ced6"/><circle cx="240" cy="92" r="3" fill="#c9ced6"/>`)
}

func drawKnifeBlock(w *bytes.Buffer, _, _ rgb) {
	f(w, `<path d="M96 130l60-30 80 120-60 40z" fill="#a0703c"/><path d="M96 130l80 130v0l-80 0z" fill="#7a522a"/>`)
	for i := range 4 {
		x := 104.0 + float64(i)*14
		f(w, `<path d="M%.0f %.0fl-10 -56" stroke="#2d3142" stroke-width="12" stroke-linecap="round"/>`, x, 126-float64(i)*7)
	}
}

func drawStove(w *bytes.Buffer, _, accent rgb) {
	f(w, `<rect x="118" y="150" width="84" height="110" rx="20" fill="%s"/>`, accent.hex())
	f(w, `<rect x="128" y="172" width="64" height="30" rx="4" fill="#f3ead2"/>`)
	f(w, `<rect x="148" y="118" width="24" height="34" fill="#9aa7b8"/><path d="M104 118h112" stroke="#4a5568" stroke-width="6" stroke-linecap="round"/>`)
	f(w, `<path d="M160 112c-14-14-6-28 0-40 6 12 14 26 0 40z" fill="#4f86f7"/><path d="M160 112c-6-6-3-14 0-20 3 6 6 14 0 20z" fill="#bcd3ff"/>`)
	gloss(w, 130, 214, 130, 246, 6)
}

// screenDefs is the gradient phone and laptop screens are painted with.
func screen(w *bytes.Buffer, id string, c rgb) {
	f(w, `<defs><linearGradient id="%s" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="%s"/><stop offset="1" stop-color="%s"/></linearGradient></defs>`,
		id, c.lighter(.35).hex(), c.darker(.35).hex())
}

func drawPhone(w *bytes.Buffer, brand, _ rgb) {
	screen(w, "scr", brand)
	f(w, `<rect x="112" y="46" width="96" height="210" rx="18" fill="#1d2033"/><rect x="118" y="52" width="84" height="198" rx="13" fill="url(#scr)"/>`)
	f(w, `<rect x="148" y="58" width="24" height="7" rx="3.5" fill="#1d2033"/>`)
	f(w, `<path d="M124 200c24-30 50-10 72-60" fill="none" stroke="#fff" stroke-opacity=".4" stroke-width="3"/>`)
	gloss(w, 126, 70, 126, 120, 4)
}

func drawPhoneCase(w *bytes.Buffer, _, _ rgb) {
	leather := must("#8a5a34")
	f(w, `<rect x="112" y="46" width="96" height="210" rx="20" fill="%s"/>`, leather.hex())
	f(w, `<rect x="120" y="54" width="80" height="194" rx="15" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="5 4"/>`, leather.lighter(.4).hex())
	f(w, `<rect x="124" y="62" width="36" height="44" rx="10" fill="#1d2033"/><circle cx="134" cy="74" r="6" fill="#4a5568"/><circle cx="134" cy="94" r="6" fill="#4a5568"/>`)
}

func drawCharger(w *bytes.Buffer, _, _ rgb) {
	f(w, `<rect x="96" y="90" width="96" height="110" rx="16" fill="#f5f7fa" stroke="#c9ced6" stroke-width="3"/>`)
	f(w, `<rect x="130" y="70" width="8" height="24" rx="2" fill="#9aa7b8"/><rect x="150" y="70" width="8" height="24" rx="2" fill="#9aa7b8"/>`)
	f(w, `<rect x="132" y="170" width="24" height="8" rx="4" fill="#2d3142"/>`)
	f(w, `<path d="M144 200c0 40 40 60 80 40s20-60 40-60" fill="none" stroke="#f5f7fa" stroke-width="10" stroke-linecap="round"/><path d="M144 200c0 40 40 60 80 40s20-60 40-60" fill="none" stroke="#c9ced6" stroke-width="2"/>`)
}

func drawEarbuds(w *bytes.Buffer, _, _ rgb) {
	f(w, `<rect x="96" y="150" width="128" height="96" rx="44" fill="#f5f7fa" stroke="#c9ced6" stroke-width="3"/><path d="M98 190h124" stroke="#c9ced6" stroke-width="2"/>`)
	f(w, `<circle cx="160" cy="216" r="4" fill="#4ade80"/>`)
	for _, x := range []float64{124, 196} {
		f(w, `<circle cx="%.0f" cy="98" r="20" fill="#f5f7fa" stroke="#c9ced6" stroke-width="3"/><rect x="%.0f" y="104" width="12" height="44" rx="6" fill="#f5f7fa" stroke="#c9ced6" stroke-width="3"/>`, x, x-6)
	}
}

func drawSpeaker(w *bytes.Buffer, _, accent rgb) {
	f(w, `<rect x="86" y="96" width="148" height="160" rx="36" fill="%s"/>`, accent.hex())
	f(w, `<circle cx="160" cy="176" r="52" fill="%s"/><circle cx="160" cy="176" r="22" fill="%s"/>`, accent.darker(.35).hex(), accent.darker(.55).hex())
	f(w, `<rect x="110" y="82" width="100" height="18" rx="9" fill="#2d3142"/>`)
	gloss(w, 100, 120, 100, 220, 6)
}

func drawLaptop(w *bytes.Buffer, brand, _ rgb) {
	screen(w, "lscr", brand)
	f(w, `<rect x="76" y="70" width="168" height="118" rx="8" fill="#c9ced6"/><rect x="84" y="78" width="152" height="102" rx="4" fill="url(#lscr)"/>`)
	f(w, `<path d="M52 196h216l-14 22H66z" fill="#dfe3ea"/><path d="M52 196h216v4H52z" fill="#aeb6c2"/><rect x="142" y="204" width="36" height="6" rx="3" fill="#aeb6c2"/>`)
}

func drawSleeve(w *bytes.Buffer, _, accent rgb) {
	felt := accent.lighter(.35)
	f(w, `<rect x="66" y="90" width="188" height="140" rx="14" fill="%s"/>`, felt.hex())
	f(w, `<path d="M66 120h188" stroke="%s" stroke-width="3" stroke-dasharray="6 5"/>`, felt.darker(.25).hex())
	f(w, `<rect x="196" y="98" width="40" height="16" rx="4" fill="#8a5a34"/>`)
}

func drawMouse(w *bytes.Buffer, _, _ rgb) {
	f(w, `<path d="M160 70c44 0 60 40 60 90s-20 96-60 96-60-46-60-96 16-90 60-90z" fill="#2d3142"/>`)
	f(w, `<path d="M160 70v70M100 140h120" stroke="#4a5568" stroke-width="3"/><rect x="154" y="92" width="12" height="26" rx="6" fill="#9aa7b8"/>`)
	gloss(w, 120, 170, 124, 220, 6)
}

func drawShield(w *bytes.Buffer, brand, _ rgb) {
	f(w, `<path d="M160 54l86 30v64c0 56-40 92-86 112-46-20-86-56-86-112V84z" fill="%s"/>`, brand.hex())
	f(w, `<path d="M160 54l86 30v64c0 56-40 92-86 112z" fill="%s"/>`, brand.darker(.2).hex())
	f(w, `<path d="M122 156l26 26 50-56" fill="none" stroke="#fff" stroke-width="14" stroke-linecap="round" stroke-linejoin="round"/>`)
}

func drawDutchOven(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M74 140h172v78c0 24-20 40-44 40h-84c-24 0-44-16-44-40z" fill="%s"/>`, accent.hex())
	f(w, `<path d="M66 128c0-20 188-20 188 0v14H66z" fill="%s"/><rect x="146" y="96" width="28" height="16" rx="8" fill="#2d3142"/>`, accent.darker(.2).hex())
	f(w, `<rect x="46" y="160" width="30" height="14" rx="7" fill="%s"/><rect x="244" y="160" width="30" height="14" rx="7" fill="%s"/>`, accent.darker(.3).hex(), accent.darker(.3).hex())
	gloss(w, 92, 160, 92, 228, 8)
}

func drawPan(w *bytes.Buffer, _, _ rgb) {
	f(w, `<ellipse cx="130" cy="176" rx="84" ry="56" fill="#2d3142"/><ellipse cx="130" cy="170" rx="72" ry="44" fill="#4a5568"/>`)
	f(w, `<path d="M206 158l68-36" stroke="#2d3142" stroke-width="16" stroke-linecap="round"/>`)
	gloss(w, 86, 150, 110, 140, 5)
}

func drawBoard(w *bytes.Buffer, _, _ rgb) {
	f(w, `<rect x="70" y="86" width="180" height="150" rx="18" fill="#b07a45"/><rect x="70" y="226" width="180" height="14" rx="6" fill="#7a522a"/>`)
	for r := range 4 {
		for c := range 5 {
			if (r+c)%2 == 0 {
				f(w, `<rect x="%.0f" y="%.0f" width="30" height="30" fill="#c8935a"/>`, 84+float64(c)*31, 96+float64(r)*31)
			}
		}
	}
	f(w, `<circle cx="230" cy="106" r="8" fill="#f7f4ee"/>`)
}

func drawMoka(w *bytes.Buffer, _, _ rgb) {
	f(w, `<path d="M112 160h80l-10 96h-60z" fill="#c9ced6"/><path d="M118 60h68l10 96h-88z" fill="#dfe3ea"/><rect x="108" y="152" width="88" height="12" rx="3" fill="#9aa7b8"/>`)
	f(w, `<path d="M186 76c40 0 40 70 4 70" fill="none" stroke="#2d3142" stroke-width="12" stroke-linecap="round"/><path d="M140 50h24l4 12h-32z" fill="#2d3142"/>`)
	f(w, `<path d="M118 60l-14 16h14z" fill="#c9ced6"/>`)
	gloss(w, 128, 80, 126, 140, 6)
}

func drawGrinder(w *bytes.Buffer, _, _ rgb) {
	f(w, `<rect x="116" y="120" width="88" height="136" rx="10" fill="#2d3142"/><path d="M110 70h100l-14 50h-72z" fill="#e8eef6" fill-opacity=".8" stroke="#9aa7b8" stroke-width="2"/>`)
	f(w, `<path d="M122 100h76l-6 20h-64z" fill="#5b3a21"/><rect x="128" y="190" width="64" height="46" rx="6" fill="#4a5568"/>`)
	f(w, `<circle cx="160" cy="154" r="10" fill="#c9ced6"/>`)
}

func drawCoffeeBag(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M104 80h112l10 176H94z" fill="%s"/><path d="M104 80h112l-6 -16h-100z" fill="%s"/>`, accent.hex(), accent.darker(.3).hex())
	f(w, `<rect x="120" y="130" width="80" height="80" rx="6" fill="#f3ead2"/>`)
	f(w, `<ellipse cx="160" cy="170" rx="18" ry="26" fill="#5b3a21"/><path d="M160 146c-8 16 8 32 0 48" stroke="#f3ead2" stroke-width="3" fill="none"/>`)
	f(w, `<circle cx="160" cy="104" r="6" fill="%s"/>`, accent.darker(.45).hex())
}

func drawMills(w *bytes.Buffer, _, _ rgb) {
	for i, x := range []float64{124, 196} {
		wood := must("#6b3f22")
		if i == 1 {
			wood = must("#d9c7a6")
		}
		f(w, `<path d="M%.0f 74h28l6 20-6 20 8 140h-44l8-140-6-20z" fill="%s"/>`, x-14, wood.hex())
		f(w, `<circle cx="%.0f" cy="66" r="8" fill="#9aa7b8"/>`, x)
	}
}

func drawHumidor(w *bytes.Buffer, _, _ rgb) {
	f(w, `<path d="M64 150h192v98H64z" fill="#7a4a2a"/><path d="M64 150l20-50h152l20 50z" fill="#a0703c"/>`)
	f(w, `<circle cx="160" cy="126" r="14" fill="#f3ead2" stroke="#c9a15a" stroke-width="4"/><path d="M160 126l6-8" stroke="#2d3142" stroke-width="2"/>`)
	f(w, `<rect x="150" y="168" width="20" height="12" rx="3" fill="#c9a15a"/>`)
}

func drawCutter(w *bytes.Buffer, _, _ rgb) {
	f(w, `<rect x="70" y="130" width="180" height="70" rx="35" fill="#2d3142"/><circle cx="160" cy="165" r="22" fill="#f3f4f6"/>`)
	f(w, `<path d="M96 150h40M184 180h40" stroke="#c9ced6" stroke-width="6" stroke-linecap="round"/>`)
}

func drawLighter(w *bytes.Buffer, _, _ rgb) {
	f(w, `<rect x="126" y="120" width="68" height="136" rx="12" fill="#2d3142"/><rect x="126" y="104" width="68" height="24" rx="6" fill="#c9ced6"/>`)
	f(w, `<path d="M148 104c-12-24 4-40 12-56 8 16 24 32 12 56z" fill="#4f86f7"/><path d="M154 104c-4-10 2-18 6-26 4 8 10 16 6 26z" fill="#bcd3ff"/>`)
	gloss(w, 136, 140, 136, 236, 5)
}

func drawCigars(w *bytes.Buffer, _, accent rgb) {
	// An open box seen from the front, its cigars lying side by side.
	f(w, `<path d="M66 150h188l-14 -30H80z" fill="#5b3a21"/>`)
	for i := range 5 {
		y := 126.0 + float64(i)*6
		f(w, `<rect x="%.0f" y="%.0f" width="170" height="16" rx="8" fill="%s"/><rect x="%.0f" y="%.0f" width="18" height="16" fill="%s"/>`,
			75+float64(i%2)*4, y, must("#7a4a2a").lighter(float64(i)*.06).hex(), 200+float64(i%2)*4, y, accent.hex())
	}
	f(w, `<path d="M66 156h188v96H66z" fill="#a0703c"/><path d="M66 156h188v10H66z" fill="#c8935a"/>`)
	f(w, `<rect x="66" y="192" width="188" height="22" fill="%s"/><rect x="140" y="188" width="40" height="30" rx="3" fill="#d8b64a"/>`, accent.darker(.2).hex())
}

func drawTumblers(w *bytes.Buffer, _, _ rgb) {
	for _, x := range []float64{118, 202} {
		f(w, `<path d="M%.0f 140h72l-8 118h-56z" fill="#e8eef6" fill-opacity=".7" stroke="#9aa7b8" stroke-width="3"/>`, x-36)
		f(w, `<path d="M%.0f 200h62l-4 50h-54z" fill="#c98a2b" opacity=".85"/>`, x-31)
		f(w, `<rect x="%.0f" y="178" width="26" height="24" rx="4" fill="#f5f7fa" opacity=".8" transform="rotate(12 %.0f 190)"/>`, x-10, x)
		gloss(w, x-26, 156, x-22, 240, 5)
	}
}

func drawBlocks(w *bytes.Buffer, _, _ rgb) {
	colors := []string{"#e4572e", "#29335c", "#f3a712", "#669bbc", "#4caf50", "#a23e48"}
	pos := [][2]float64{{80, 196}, {140, 196}, {200, 196}, {110, 136}, {170, 136}, {140, 76}}
	for i, p := range pos {
		f(w, `<rect x="%.0f" y="%.0f" width="56" height="56" rx="6" fill="%s"/><rect x="%.0f" y="%.0f" width="56" height="10" rx="5" fill="#fff" opacity=".25"/>`,
			p[0], p[1], colors[i], p[0], p[1])
	}
}

func drawStacker(w *bytes.Buffer, _, _ rgb) {
	f(w, `<rect x="154" y="60" width="12" height="180" rx="6" fill="#c8935a"/><rect x="96" y="240" width="128" height="18" rx="8" fill="#a0703c"/>`)
	colors := []string{"#e4572e", "#f3a712", "#ffd23f", "#4caf50", "#3b8ea5", "#5b3f8c"}
	for i, c := range colors {
		rx := 62.0 - float64(i)*8
		f(w, `<ellipse cx="160" cy="%.0f" rx="%.0f" ry="15" fill="%s"/>`, 224-float64(i)*27, rx, c)
	}
}

func drawRobot(w *bytes.Buffer, _, accent rgb) {
	f(w, `<rect x="108" y="64" width="104" height="76" rx="14" fill="#c9ced6"/><circle cx="140" cy="100" r="12" fill="#1d2033"/><circle cx="180" cy="100" r="12" fill="#1d2033"/>`)
	f(w, `<circle cx="140" cy="100" r="4" fill="#4ade80"/><circle cx="180" cy="100" r="4" fill="#4ade80"/><path d="M160 64V46" stroke="#9aa7b8" stroke-width="4"/><circle cx="160" cy="42" r="6" fill="%s"/>`, accent.hex())
	f(w, `<rect x="100" y="148" width="120" height="86" rx="12" fill="%s"/><rect x="130" y="166" width="60" height="30" rx="4" fill="#f3ead2"/>`, accent.hex())
	f(w, `<rect x="74" y="156" width="20" height="60" rx="10" fill="#9aa7b8"/><rect x="226" y="156" width="20" height="60" rx="10" fill="#9aa7b8"/><rect x="120" y="234" width="24" height="26" rx="6" fill="#4a5568"/><rect x="176" y="234" width="24" height="26" rx="6" fill="#4a5568"/>`)
}

func drawTelescope(w *bytes.Buffer, _, accent rgb) {
	f(w, `<path d="M160 170l-50 90M160 170l50 90M160 170v90" stroke="#4a5568" stroke-width="6" stroke-linecap="round"/>`)
	f(w, `<rect x="70" y="120" width="180" height="36" rx="8" fill="%s" transform="rotate(-24 160 138)"/>`, accent.hex())
	f(w, `<rect x="236" y="110" width="26" height="48" rx="6" fill="%s" transform="rotate(-24 160 138)"/>`, accent.darker(.35).hex())
	f(w, `<circle cx="160" cy="160" r="10" fill="#2d3142"/>`)
}

func drawStarMap(w *bytes.Buffer, _, _ rgb) {
	f(w, `<rect x="78" y="58" width="164" height="210" rx="6" fill="#1e1b4b"/><rect x="78" y="58" width="164" height="210" rx="6" fill="none" stroke="#c9ced6" stroke-width="6"/>`)
	stars := [][2]float64{{110, 90}, {150, 120}, {196, 96}, {212, 150}, {170, 176}, {120, 160}, {104, 220}, {160, 236}, {214, 226}}
	f(w, `<path d="M110 90L150 120L196 96M150 120L170 176L212 150M170 176L160 236" stroke="#a5b4fc" stroke-width="1.5" opacity=".7"/>`)
	for _, s := range stars {
		f(w, `<circle cx="%.0f" cy="%.0f" r="3.5" fill="#d9f99d"/>`, s[0], s[1])
	}
}

func drawGameBox(w *bytes.Buffer, brand, accent rgb) {
	f(w, `<path d="M62 180l98-56 98 56-98 56z" fill="%s"/><path d="M62 180v28l98 56v-28z" fill="%s"/><path d="M258 180v28l-98 56v-28z" fill="%s"/>`,
		accent.hex(), accent.darker(.3).hex(), accent.darker(.45).hex())
	f(w, `<path d="M110 180l50-28 50 28-50 28z" fill="%s"/>`, brand.lighter(.5).hex())
	for i := range 3 {
		f(w, `<rect x="%.0f" y="%.0f" width="22" height="22" rx="4" fill="#f3ead2" transform="rotate(20 %.0f %.0f)"/>`, 100+float64(i)*46, 86-float64(i%2)*14, 111+float64(i)*46, 97-float64(i%2)*14)
	}
}

func drawPuzzle(w *bytes.Buffer, _, _ rgb) {
	// A box whose lid shows a night skyline, cut into pieces.
	f(w, `<rect x="70" y="80" width="180" height="150" rx="8" fill="#312e81"/><rect x="70" y="222" width="180" height="22" rx="4" fill="#1e1b4b"/>`)
	for i, h := range []float64{60, 96, 74, 120, 52, 88} {
		x := 80.0 + float64(i)*28
		f(w, `<rect x="%.0f" y="%.0f" width="24" height="%.0f" fill="%s"/>`, x, 222-h, h, []string{"#5b3df5", "#e11d48", "#0d9488", "#f59e0b", "#2563eb", "#9333ea"}[i])
		for y := 222 - h + 8; y < 214; y += 14 {
			f(w, `<rect x="%.0f" y="%.0f" width="6" height="6" fill="#fde68a"/>`, x+9, y)
		}
	}
	f(w, `<path d="M130 80v142M190 80v142M70 150h180" stroke="#fff" stroke-opacity=".35" stroke-width="2" stroke-dasharray="10 4"/>`)
	f(w, `<path d="M214 54h30v18a8 8 0 1 1 0 14v18h-30v-18a8 8 0 1 0 0-14z" fill="#f59e0b" transform="rotate(14 229 79)"/>`)
}

func drawFox(w *bytes.Buffer, _, _ rgb) {
	f(w, `<path d="M92 70l40 44h56l40-44 6 96c0 50-34 86-74 86s-74-36-74-86z" fill="#e4572e"/>`)
	f(w, `<path d="M100 170c20 0 40 10 60 40 20-30 40-40 60-40-4 44-30 82-60 82s-56-38-60-82z" fill="#f7f4ee"/>`)
	f(w, `<circle cx="134" cy="160" r="8" fill="#1d2033"/><circle cx="186" cy="160" r="8" fill="#1d2033"/><ellipse cx="160" cy="212" rx="10" ry="7" fill="#1d2033"/>`)
	f(w, `<path d="M104 84l16 24M216 84l-16 24" stroke="#1d2033" stroke-width="6" stroke-linecap="round"/>`)
}

func drawBatteries(w *bytes.Buffer, _, _ rgb) {
	for i := range 4 {
		x := 88.0 + float64(i)*38
		f(w, `<rect x="%.0f" y="86" width="30" height="160" rx="6" fill="#2d3142"/><rect x="%.0f" y="86" width="30" height="60" rx="6" fill="#4ade80"/><rect x="%.0f" y="76" width="12" height="12" rx="2" fill="#c9ced6"/>`, x, x, x+9)
		gloss(w, x+8, 160, x+8, 230, 4)
	}
}

func drawGift(w *bytes.Buffer, brand, _ rgb) {
	f(w, `<rect x="84" y="130" width="152" height="124" rx="6" fill="%s"/><rect x="74" y="108" width="172" height="32" rx="6" fill="%s"/>`, brand.hex(), brand.darker(.2).hex())
	f(w, `<rect x="150" y="108" width="20" height="146" fill="#ffd23f"/><path d="M160 108c-40-50-70-10-40 0zM160 108c40-50 70-10 40 0z" fill="none" stroke="#ffd23f" stroke-width="10" stroke-linejoin="round"/>`)
}

func drawKit(w *bytes.Buffer, brand, _ rgb) {
	f(w, `<rect x="74" y="110" width="172" height="136" rx="14" fill="%s"/><rect x="74" y="110" width="172" height="34" rx="14" fill="%s"/>`, brand.lighter(.2).hex(), brand.darker(.2).hex())
	f(w, `<rect x="100" y="164" width="90" height="26" rx="10" fill="#8a5a34"/>`)
	for i := range 10 {
		f(w, `<path d="M%.0f 190v18" stroke="#2d3142" stroke-width="3"/>`, 106+float64(i)*8)
	}
	f(w, `<rect x="200" y="158" width="22" height="60" rx="6" fill="#f3ead2"/>`)
}

func drawBag(w *bytes.Buffer, brand, _ rgb) {
	f(w, `<path d="M126 104c0-50 68-50 68 0" fill="none" stroke="%s" stroke-width="10"/>`, brand.darker(.3).hex())
	f(w, `<path d="M86 100h148l14 156H72z" fill="%s"/><path d="M86 100h148l4 40H82z" fill="%s"/>`, brand.hex(), brand.darker(.15).hex())
	f(w, `<circle cx="126" cy="120" r="6" fill="%s"/><circle cx="194" cy="120" r="6" fill="%s"/>`, brand.darker(.4).hex(), brand.darker(.4).hex())
}
