package mall

// demoStores returns the demo mall in skyline order: tall and low
// buildings alternate, and every roof shape appears.
func demoStores() []demoStore {
	stores := []demoStore{
		northPeakOutfitters(),
		vinotecaRossi(),
		lumenElectronics(),
		casaCucina(),
		humidorAndCo(),
		atelierNord(),
		littleCometToys(),
	}
	for i := range stores {
		stores[i].store.SkylinePosition = (i + 1) * 10
	}
	return stores
}

func northPeakOutfitters() demoStore {
	return demoStore{
		store: Store{
			Slug: "north-peak-outfitters", Name: "North Peak Outfitters", BrandColor: "#2f6b3a",
			Tagline: "Gear for the long way up", BuildingFloors: 6, BuildingWidth: 2, BuildingRoof: RoofSpire,
			OpeningHours: "Mon–Sat 09:00–20:00", TaxRateBP: 2000,
		},
		products: []Product{
			product("NP-TENT-2P", "Tents", "Ridgeline 2-Person Tent", 34900, 14, 0,
				"Freestanding three-season tent, 1.9 kg packed, two doors and two vestibules."),
			product("NP-TENT-FOOT", "Tents", "Ridgeline Footprint", 4900, 30, 0,
				"Cut-to-fit groundsheet that keeps the Ridgeline's floor dry and unscuffed."),
			product("NP-BAG-DOWN", "Sleeping", "Summit 800 Down Sleeping Bag", 42900, 9, 0,
				"Responsibly sourced 800-fill down, comfort rated to −7 °C, 1.1 kg."),
			product("NP-MAT-AIR", "Sleeping", "Cloudrest Insulated Air Mat", 13900, 22, 0,
				"R-value 4.2, packs to the size of a water bottle, pump sack included."),
			product("NP-BOOT-ALP", "Footwear", "Alpine Trek GTX Boots", 22900, 18, 0,
				"Waterproof leather boots with a Vibram sole for rough, wet trails."),
			product("NP-SOCK-MER", "Footwear", "Merino Hiking Socks (3 pairs)", 3900, 60, 0,
				"Cushioned merino-wool socks that stay warm when wet and do not itch."),
			product("NP-JKT-SHELL", "Clothing", "Stormline Shell Jacket", 27900, 12, 0,
				"Three-layer waterproof, breathable shell with a helmet-compatible hood."),
			product("NP-KNIFE-FIX", "Tools", "Fjell Fixed-Blade Knife", 8900, 10, AgeLimit18,
				"10 cm carbon-steel blade with a birch handle and leather sheath. Sold to adults only."),
			product("NP-STOVE-GAS", "Tools", "Blaze Canister Stove", 5900, 25, 0,
				"Boils a litre of water in three and a half minutes; piezo ignition."),
			product("NP-CARE-2Y", "Services", "Gear Care Plan, 2 years", 2900, 999, 0,
				"Free repairs of seams, zips and poles for two years after purchase."),
		},
		addOns: []demoAddOn{
			{"NP-TENT-2P", "NP-TENT-FOOT", AddOnAccessory, "Protects the tent floor and doubles as a porch in fast-pitch mode."},
			{"NP-TENT-2P", "NP-MAT-AIR", AddOnBundle, "Most people who buy the tent sleep on this mat."},
			{"NP-TENT-2P", "NP-CARE-2Y", AddOnWarranty, "Poles and zips are what wears out first; the plan repairs them free."},
			{"NP-BAG-DOWN", "NP-MAT-AIR", AddOnBundle, "A warm bag needs an insulated mat to reach its rating."},
			{"NP-BOOT-ALP", "NP-SOCK-MER", AddOnAccessory, "Merino socks prevent blisters while breaking in new boots."},
			{"NP-JKT-SHELL", "NP-CARE-2Y", AddOnWarranty, "Covers seam-tape and zip repairs on the shell."},
			{"NP-STOVE-GAS", "NP-KNIFE-FIX", AddOnBundle, "The classic camp-kitchen pair."},
		},
	}
}

func vinotecaRossi() demoStore {
	return demoStore{
		store: Store{
			Slug: "vinoteca-rossi", Name: "Vinoteca Rossi", BrandColor: "#7b1e3a",
			Tagline: "Small growers, big bottles", BuildingFloors: 3, BuildingWidth: 2, BuildingRoof: RoofStepped,
			OpeningHours: "Tue–Sat 11:00–21:00", TaxRateBP: 2000,
		},
		products: []Product{
			product("VR-BAROLO-18", "Red Wine", "Barolo DOCG 2018", 4900, 24, AgeLimit18,
				"Nebbiolo from La Morra: roses, tar and cherries, firm tannins. Drink to 2035."),
			product("VR-CHIANTI-21", "Red Wine", "Chianti Classico Riserva 2021", 2400, 48, AgeLimit18,
				"Sangiovese with sour cherry and violet; made for pasta and grilled meat."),
			product("VR-PRIMI-22", "Red Wine", "Primitivo di Manduria 2022", 1650, 60, AgeLimit18,
				"Ripe, round and generous: plum, fig and a hint of cocoa."),
			product("VR-VERM-23", "White Wine", "Vermentino di Gallura 2023", 1900, 36, AgeLimit18,
				"Sardinian white with lemon zest, sea salt and almond."),
			product("VR-SOAVE-22", "White Wine", "Soave Classico 2022", 1450, 42, AgeLimit18,
				"Garganega from volcanic soil: pear, chamomile and a mineral finish."),
			product("VR-PROS-NV", "Sparkling", "Prosecco Superiore Brut", 1800, 72, AgeLimit18,
				"Valdobbiadene DOCG, fine bubbles, green apple and white flowers."),
			product("VR-GRAPPA-BAR", "Spirits", "Grappa di Barolo", 3900, 15, AgeLimit21,
				"Distilled from Nebbiolo pomace and aged a year in oak. 42 % vol."),
			product("VR-DECANT", "Accessories", "Hand-blown Decanter", 5900, 8, 0,
				"Lead-free crystal decanter, 1.5 l, wide base for young reds."),
			product("VR-GLASS-6", "Accessories", "Universal Wine Glasses (set of 6)", 4500, 20, 0,
				"Thin-rimmed, dishwasher-safe glasses for red, white and sparkling."),
			product("VR-OPENER", "Accessories", "Sommelier's Corkscrew", 2900, 40, 0,
				"Double-lever waiter's friend with a foil cutter and olive-wood handle."),
		},
		addOns: []demoAddOn{
			{"VR-BAROLO-18", "VR-DECANT", AddOnAccessory, "A young Barolo opens up after an hour in the decanter."},
			{"VR-BAROLO-18", "VR-GRAPPA-BAR", AddOnBundle, "The grappa is distilled from the same Nebbiolo grapes."},
			{"VR-CHIANTI-21", "VR-OPENER", AddOnAccessory, "Natural corks: a proper corkscrew keeps them whole."},
			{"VR-PROS-NV", "VR-GLASS-6", AddOnAccessory, "Tulip-shaped rims keep the bubbles longer."},
			{"VR-VERM-23", "VR-SOAVE-22", AddOnBundle, "Two Italian whites for a seafood dinner."},
			{"VR-DECANT", "VR-GLASS-6", AddOnBundle, "Decanter and glasses make a complete gift."},
		},
	}
}

func lumenElectronics() demoStore {
	return demoStore{
		store: Store{
			Slug: "lumen-electronics", Name: "Lumen Electronics", BrandColor: "#1f4fd1",
			Tagline: "Bright ideas, plugged in", BuildingFloors: 14, BuildingWidth: 3, BuildingRoof: RoofFlat,
			OpeningHours: "Mon–Sat 10:00–21:00, Sun 12:00–18:00", TaxRateBP: 1900,
		},
		products: []Product{
			product("LU-PHONE-X2", "Phones", "Lumen X2 Smartphone 256 GB", 79900, 35, 0,
				"6.3\" OLED, 50 MP camera with optical zoom, two days of battery."),
			product("LU-PHONE-CASE", "Phones", "X2 Leather Case", 3900, 80, 0,
				"Full-grain leather case with MagSafe-compatible magnets."),
			product("LU-CHARGER-65", "Phones", "65 W GaN USB-C Charger", 4900, 120, 0,
				"Charges a phone and a laptop at once; folding plug."),
			product("LU-BUDS-PRO", "Audio", "Aurora Buds Pro", 19900, 40, 0,
				"Noise-cancelling earbuds with spatial audio and a wireless case."),
			product("LU-SPEAKER-S", "Audio", "Pulse Portable Speaker", 12900, 28, 0,
				"Waterproof (IP67) speaker, 20 hours of play, pairs in stereo."),
			product("LU-BOOK-14", "Laptops", "Lumenbook Air 14", 119900, 12, 0,
				"14\" 2.8K display, 16 GB RAM, 1 TB SSD, 1.2 kg aluminium body."),
			product("LU-SLEEVE-14", "Laptops", "Felt Laptop Sleeve 14\"", 3500, 50, 0,
				"Wool-felt sleeve with a pocket for the charger."),
			product("LU-MOUSE-SIL", "Laptops", "Silent Wireless Mouse", 2900, 70, 0,
				"Quiet clicks, Bluetooth and USB receiver, a year on one AA battery."),
			product("LU-CARE-2Y", "Services", "Lumen Care+ 2 years", 9900, 999, 0,
				"Accidental damage and battery cover for two years, express swap."),
			product("LU-CARE-3Y", "Services", "Lumen Care+ 3 years (laptops)", 17900, 999, 0,
				"Three years of accidental damage and battery cover for laptops."),
		},
		addOns: []demoAddOn{
			{"LU-PHONE-X2", "LU-PHONE-CASE", AddOnAccessory, "The X2 has a glass back; the case keeps it from cracking."},
			{"LU-PHONE-X2", "LU-CHARGER-65", AddOnAccessory, "The phone ships without a charger; this one fast-charges it."},
			{"LU-PHONE-X2", "LU-CARE-2Y", AddOnWarranty, "Covers a cracked screen or a dropped phone for two years."},
			{"LU-PHONE-X2", "LU-BUDS-PRO", AddOnBundle, "Pairs instantly with the X2 and switches between devices."},
			{"LU-BOOK-14", "LU-SLEEVE-14", AddOnAccessory, "Made to measure for the Lumenbook Air 14."},
			{"LU-BOOK-14", "LU-MOUSE-SIL", AddOnAccessory, "For long sessions away from the trackpad."},
			{"LU-BOOK-14", "LU-CARE-3Y", AddOnWarranty, "Laptop repairs are costly; three years of cover, express swap."},
			{"LU-BUDS-PRO", "LU-CARE-2Y", AddOnWarranty, "Replaces lost or broken buds once a year."},
		},
	}
}
