package mall

func casaCucina() demoStore {
	return demoStore{
		store: Store{
			Slug: "casa-cucina", Name: "Casa Cucina", BrandColor: "#e0782b",
			Tagline: "Cook like you mean it", BuildingFloors: 4, BuildingWidth: 2, BuildingRoof: RoofDome,
			OpeningHours: "Mon–Sat 09:30–19:30", TaxRateBP: 2000,
		},
		products: []Product{
			product("CC-CHEF-20", "Knives", "Chef's Knife 20 cm", 11900, 16, AgeLimit18,
				"Forged Japanese steel, 60 HRC, balanced at the bolster. Sold to adults only."),
			product("CC-KNIFE-SET", "Knives", "Kitchen Knife Block Set", 24900, 6, AgeLimit18,
				"Chef's, bread, utility and paring knives in an oak block. Sold to adults only."),
			product("CC-WHETSTONE", "Knives", "Whetstone 1000/6000", 3900, 30, 0,
				"Two-grit water stone with a non-slip bamboo base."),
			product("CC-DUTCH-28", "Cookware", "Cast-Iron Dutch Oven 28 cm", 18900, 10, 0,
				"Enamelled cast iron, 6.7 l, oven-safe to 250 °C, for every hob."),
			product("CC-PAN-CARBON", "Cookware", "Carbon-Steel Frying Pan 28 cm", 6900, 25, 0,
				"Heats fast, seasons like cast iron, weighs half as much."),
			product("CC-BOARD-OAK", "Cookware", "End-Grain Oak Cutting Board", 7900, 14, 0,
				"Kind to blades, heavy enough not to slide. 40 × 30 cm."),
			product("CC-ESPRESSO", "Coffee", "Stovetop Espresso Maker, 6 cups", 4900, 40, 0,
				"Polished aluminium moka pot with a heat-proof handle."),
			product("CC-GRINDER", "Coffee", "Burr Coffee Grinder", 8900, 18, 0,
				"Conical steel burrs with 40 settings, from espresso to cold brew."),
			product("CC-BEANS-1KG", "Coffee", "House Espresso Beans, 1 kg", 2400, 90, 0,
				"Brazil and Ethiopia blend, roasted weekly: chocolate, hazelnut, berry."),
			product("CC-SALT-PEPPER", "Tableware", "Salt & Pepper Mill Set", 4400, 32, 0,
				"Walnut mills with ceramic grinders, adjustable from fine to coarse."),
		},
		addOns: []demoAddOn{
			{"CC-CHEF-20", "CC-WHETSTONE", AddOnAccessory, "Keeps the edge razor-sharp; five minutes a month."},
			{"CC-CHEF-20", "CC-BOARD-OAK", AddOnBundle, "End grain protects the edge of a hard Japanese blade."},
			{"CC-KNIFE-SET", "CC-WHETSTONE", AddOnAccessory, "One stone sharpens every knife in the block."},
			{"CC-DUTCH-28", "CC-PAN-CARBON", AddOnBundle, "Together they cover almost every recipe."},
			{"CC-ESPRESSO", "CC-GRINDER", AddOnAccessory, "Freshly ground coffee makes the biggest difference."},
			{"CC-ESPRESSO", "CC-BEANS-1KG", AddOnBundle, "Our house blend is roasted for the moka pot."},
		},
	}
}

func humidorAndCo() demoStore {
	return demoStore{
		store: Store{
			Slug: "humidor-and-co", Name: "Humidor & Co.", BrandColor: "#5a3b24",
			Tagline: "Slow smoke, old spirits", BuildingFloors: 2, BuildingWidth: 1, BuildingRoof: RoofDome,
			OpeningHours: "Mon–Sat 12:00–22:00", TaxRateBP: 2000,
		},
		products: []Product{
			product("HC-CIG-ROBUSTO", "Cigars", "Dominican Robusto (box of 10)", 12900, 12, AgeLimit21,
				"Medium-bodied, 5 × 50, Connecticut wrapper: cedar, cream and toasted nuts."),
			product("HC-CIG-CORONA", "Cigars", "Nicaraguan Corona (box of 5)", 5900, 20, AgeLimit21,
				"Full-bodied corona with a Habano wrapper: pepper, leather and espresso."),
			product("HC-CIG-SAMPLER", "Cigars", "Cigar Sampler (6 cigars)", 7900, 15, AgeLimit21,
				"Six cigars from four countries, mild to full, with tasting notes."),
			product("HC-RUM-12", "Spirits", "Barbados Rum 12 Years", 6900, 18, AgeLimit21,
				"Pot-still rum aged in bourbon casks: toffee, banana and spice. 43 % vol."),
			product("HC-WHISKY-15", "Spirits", "Speyside Single Malt 15 Years", 8900, 14, AgeLimit21,
				"Sherry-cask malt with dried fruit, honey and orange peel. 46 % vol."),
			product("HC-COGNAC-VSOP", "Spirits", "Cognac VSOP", 5400, 16, AgeLimit21,
				"Grande Champagne eaux-de-vie: apricot, vanilla and oak. 40 % vol."),
			product("HC-HUMIDOR-50", "Accessories", "Cedar Humidor, 50 cigars", 14900, 5, 0,
				"Spanish-cedar lined humidor with a hygrometer and humidifier."),
			product("HC-CUTTER", "Accessories", "Double-Blade Cigar Cutter", 2400, 35, AgeLimit18,
				"Stainless-steel guillotine cutter for ring gauges up to 60."),
			product("HC-LIGHTER", "Accessories", "Triple-Jet Torch Lighter", 3900, 28, AgeLimit18,
				"Wind-proof butane torch with a fuel window and a punch."),
			product("HC-TUMBLERS", "Accessories", "Crystal Whisky Tumblers (pair)", 4900, 20, 0,
				"Heavy-based tumblers, 300 ml, cut by hand."),
		},
		addOns: []demoAddOn{
			{"HC-CIG-ROBUSTO", "HC-CUTTER", AddOnAccessory, "A clean cut keeps the cap from unravelling."},
			{"HC-CIG-ROBUSTO", "HC-HUMIDOR-50", AddOnAccessory, "Keeps a box of cigars at 70 % humidity for months."},
			{"HC-CIG-ROBUSTO", "HC-RUM-12", AddOnBundle, "Aged rum's sweetness matches the Robusto's cream."},
			{"HC-CIG-SAMPLER", "HC-LIGHTER", AddOnAccessory, "A torch lights thick cigars evenly, even outdoors."},
			{"HC-WHISKY-15", "HC-TUMBLERS", AddOnAccessory, "A heavy tumbler for a slow dram."},
			{"HC-HUMIDOR-50", "HC-CIG-SAMPLER", AddOnBundle, "Start the humidor with a selection to find a favourite."},
		},
	}
}

func atelierNord() demoStore {
	return demoStore{
		store: Store{
			Slug: "atelier-nord", Name: "Atelier Nord", BrandColor: "#2b2d42",
			Tagline: "Made to be worn for years", BuildingFloors: 9, BuildingWidth: 2, BuildingRoof: RoofSpire,
			OpeningHours: "Mon–Sat 10:00–20:00", TaxRateBP: 2000,
		},
		products: []Product{
			product("AN-COAT-WOOL", "Outerwear", "Double-Faced Wool Coat", 39900, 8, 0,
				"Unlined Italian wool coat that drapes softly; dry clean only."),
			product("AN-PARKA", "Outerwear", "Down Parka", 44900, 6, 0,
				"Recycled-down parka with a storm hood, warm to −20 °C."),
			product("AN-KNIT-CREW", "Knitwear", "Lambswool Crew Neck", 11900, 24, 0,
				"Fully fashioned lambswool jumper knitted in Scotland."),
			product("AN-KNIT-CARD", "Knitwear", "Chunky Cardigan", 15900, 12, 0,
				"Hand-framed cardigan with horn buttons and deep pockets."),
			product("AN-SHIRT-OX", "Shirts", "Oxford Button-Down Shirt", 8900, 30, 0,
				"Heavy Oxford cotton, mother-of-pearl buttons, softens with every wash."),
			product("AN-SCARF-CASH", "Accessories", "Cashmere Scarf", 12900, 18, 0,
				"Pure Mongolian cashmere, 180 × 30 cm, in charcoal."),
			product("AN-BELT-LEATH", "Accessories", "Bridle-Leather Belt", 7900, 26, 0,
				"Vegetable-tanned English bridle leather with a solid-brass buckle."),
			product("AN-CARE-KIT", "Care", "Garment Care Kit", 3400, 40, 0,
				"Cashmere comb, cedar blocks and a wool-wash for knitwear."),
			product("AN-REPAIR-PLAN", "Care", "Lifetime Repair Pass", 4900, 999, 0,
				"Free mending of seams, buttons and zips on any Atelier Nord piece."),
		},
		addOns: []demoAddOn{
			{"AN-COAT-WOOL", "AN-SCARF-CASH", AddOnBundle, "The charcoal scarf was cut to match the coat."},
			{"AN-COAT-WOOL", "AN-REPAIR-PLAN", AddOnWarranty, "A good coat lasts decades with small repairs."},
			{"AN-KNIT-CREW", "AN-CARE-KIT", AddOnAccessory, "Cedar keeps moths away; the comb removes pilling."},
			{"AN-KNIT-CARD", "AN-CARE-KIT", AddOnAccessory, "Wool-wash keeps hand-framed knits soft."},
			{"AN-PARKA", "AN-REPAIR-PLAN", AddOnWarranty, "Covers the zip and the baffles for life."},
			{"AN-SHIRT-OX", "AN-BELT-LEATH", AddOnBundle, "A classic pairing for the office."},
		},
	}
}

func littleCometToys() demoStore {
	return demoStore{
		store: Store{
			Slug: "little-comet-toys", Name: "Little Comet Toys", BrandColor: "#f2b705",
			Tagline: "Play that lasts past bedtime", BuildingFloors: 3, BuildingWidth: 3, BuildingRoof: RoofStepped,
			OpeningHours: "Mon–Sat 09:00–19:00", TaxRateBP: 2000,
		},
		products: []Product{
			product("LC-BLOCKS-100", "Toddlers", "Wooden Building Blocks (100)", 3900, 40, 0,
				"Beech blocks in twelve shapes, painted with water-based colours."),
			product("LC-STACKER", "Toddlers", "Rainbow Stacking Tower", 2400, 36, 0,
				"Seven rings that teach size and colour; from 12 months."),
			product("LC-ROBOT-KIT", "Science", "Build-Your-Own Robot Kit", 6900, 20, 0,
				"Motors, sensors and a visual coding app; for ages 8 and up."),
			product("LC-TELESCOPE", "Science", "Junior Telescope 70 mm", 8900, 10, 0,
				"Refractor with a tripod and a moon map; see Saturn's rings."),
			product("LC-STAR-MAP", "Science", "Glow-in-the-Dark Star Map", 1400, 50, 0,
				"Poster of the night sky with 300 glowing stars and constellations."),
			product("LC-BOARD-ISLE", "Games", "Treasure Isle Board Game", 3400, 28, 0,
				"Cooperative adventure for 2–5 players, ages 7 and up, 45 minutes."),
			product("LC-PUZZLE-1000", "Games", "City Skyline Puzzle, 1000 pieces", 1900, 45, 0,
				"A night skyline in glossy print; 68 × 48 cm when done."),
			product("LC-PLUSH-COMET", "Plush", "Comet the Fox Plush", 2200, 60, 0,
				"Our mascot in soft recycled plush, 30 cm, machine-washable."),
			product("LC-BATTERIES", "Accessories", "Rechargeable AA Batteries (4)", 1600, 80, 0,
				"Low self-discharge NiMH cells with a USB charger."),
			product("LC-GIFT-WRAP", "Accessories", "Gift Wrapping", 400, 999, 0,
				"Recycled paper, a ribbon and a handwritten card."),
		},
		addOns: []demoAddOn{
			{"LC-ROBOT-KIT", "LC-BATTERIES", AddOnAccessory, "The robot runs on four AA batteries, not included."},
			{"LC-TELESCOPE", "LC-STAR-MAP", AddOnBundle, "Find what to look at before pointing the telescope."},
			{"LC-BLOCKS-100", "LC-STACKER", AddOnBundle, "Two first toys that grow with a toddler."},
			{"LC-BOARD-ISLE", "LC-GIFT-WRAP", AddOnAccessory, "Wrapped and ready for a birthday."},
			{"LC-PLUSH-COMET", "LC-GIFT-WRAP", AddOnAccessory, "Wrapped with a handwritten card."},
		},
	}
}
