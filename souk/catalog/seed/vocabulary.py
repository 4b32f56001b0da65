"""Words the demo and benchmark catalog is made of: crafts, materials, cities."""

from __future__ import annotations

# (latitude, longitude) of city centres; shops scatter around them.
CITIES: dict[str, tuple[float, float]] = {
    "London": (51.5074, -0.1278),
    "Paris": (48.8566, 2.3522),
    "Marrakesh": (31.6295, -7.9811),
    "Istanbul": (41.0082, 28.9784),
    "Lagos": (6.5244, 3.3792),
    "Nairobi": (-1.2921, 36.8219),
    "Cairo": (30.0444, 31.2357),
    "Tehran": (35.6892, 51.3890),
    "Mexico City": (19.4326, -99.1332),
    "New York": (40.7128, -74.0060),
    "San Francisco": (37.7749, -122.4194),
    "Mumbai": (19.0760, 72.8777),
}

STREETS = [
    "Market Street",
    "Potters Lane",
    "Weavers Row",
    "Old Bazaar",
    "Mill Road",
    "Canal Walk",
    "Harbour Street",
    "Artisans Yard",
    "Station Road",
    "Garden Lane",
    "Copper Alley",
    "Silk Road",
    "High Street",
    "Riverside",
    "Cedar Avenue",
    "Lantern Square",
]

FIRST_NAMES = [
    "Amina",
    "Yusuf",
    "Leila",
    "Omar",
    "Sofia",
    "Mateo",
    "Zara",
    "Kofi",
    "Ines",
    "Ravi",
    "Hana",
    "Diego",
    "Nadia",
    "Tariq",
    "Maya",
    "Emeka",
    "Lucia",
    "Arash",
    "Chloe",
    "Wanjiru",
    "Farah",
    "Jonas",
    "Priya",
    "Selin",
    "Thabo",
    "Elena",
    "Karim",
    "Noor",
    "Ana",
    "Bilal",
]
LAST_NAMES = [
    "Haddad",
    "Okafor",
    "Rossi",
    "Tehrani",
    "Kariuki",
    "Garcia",
    "Yilmaz",
    "Mensah",
    "Dubois",
    "Patel",
    "Mansour",
    "Silva",
    "Novak",
    "Hassan",
    "Kimani",
    "Moreau",
    "Aziz",
    "Lopez",
    "Shah",
    "Bianchi",
]

ADJECTIVES = [
    "Hand-thrown",
    "Rustic",
    "Hand-woven",
    "Carved",
    "Glazed",
    "Embroidered",
    "Vintage-style",
    "Minimal",
    "Hand-painted",
    "Knitted",
    "Forged",
    "Hammered",
    "Speckled",
    "Block-printed",
    "Upcycled",
    "Braided",
    "Tooled",
    "Engraved",
    "Dip-dyed",
    "Stitched",
    "Burnished",
    "Reclaimed",
    "Marbled",
    "Woven",
    "Beaded",
]
COLOURS = [
    "indigo",
    "terracotta",
    "olive",
    "amber",
    "ivory",
    "charcoal",
    "saffron",
    "teal",
    "rose",
    "sand",
    "forest green",
    "burgundy",
    "ochre",
    "slate",
    "natural",
]

# category path -> product kinds: (noun, materials, variant axis, base price range)
CATALOG: dict[tuple[str, ...], list[tuple[str, list[str], str, tuple[int, int]]]] = {
    ("Home & Living", "Ceramics & Pottery"): [
        ("Mug", ["stoneware", "porcelain", "earthenware"], "size", (18, 45)),
        ("Bowl", ["stoneware", "porcelain", "raku"], "size", (22, 80)),
        ("Vase", ["stoneware", "porcelain", "terracotta"], "size", (30, 160)),
        ("Planter", ["terracotta", "stoneware", "concrete"], "size", (20, 90)),
        ("Teapot", ["porcelain", "stoneware", "cast iron"], "size", (45, 140)),
    ],
    ("Home & Living", "Candles & Scents"): [
        ("Candle", ["soy wax", "beeswax", "coconut wax"], "scent", (12, 40)),
        ("Incense Holder", ["brass", "ceramic", "walnut"], "finish", (10, 35)),
    ],
    ("Home & Living", "Baskets & Storage"): [
        ("Basket", ["seagrass", "rattan", "willow", "jute"], "size", (25, 95)),
        ("Storage Box", ["walnut", "oak", "birch"], "size", (30, 120)),
    ],
    ("Home & Living", "Lighting"): [
        ("Lamp", ["rattan", "brass", "ceramic", "paper"], "finish", (60, 260)),
        ("Lantern", ["copper", "brass", "tin"], "size", (35, 140)),
    ],
    ("Home & Living", "Wall Art"): [
        ("Print", ["linen paper", "cotton rag"], "size", (20, 150)),
        ("Wall Hanging", ["wool", "cotton", "macrame cord"], "size", (40, 220)),
        ("Mirror", ["brass", "oak", "bone inlay"], "size", (70, 300)),
    ],
    ("Kitchen & Dining", "Tableware"): [
        ("Plate", ["stoneware", "porcelain"], "size", (16, 55)),
        ("Serving Platter", ["olive wood", "stoneware", "marble"], "size", (35, 120)),
        ("Spoon", ["olive wood", "cherry wood", "brass"], "size", (8, 30)),
        ("Coaster Set", ["cork", "marble", "leather"], "colour", (12, 40)),
    ],
    ("Kitchen & Dining", "Boards & Utensils"): [
        ("Cutting Board", ["walnut", "maple", "olive wood"], "size", (35, 140)),
        ("Salad Servers", ["olive wood", "bamboo", "horn"], "finish", (20, 60)),
    ],
    ("Kitchen & Dining", "Kitchen Textiles"): [
        ("Apron", ["linen", "denim", "canvas"], "colour", (28, 75)),
        ("Tea Towel", ["linen", "cotton"], "colour", (10, 28)),
        ("Table Runner", ["linen", "cotton", "jute"], "size", (30, 90)),
    ],
    ("Jewelry", "Necklaces"): [
        ("Necklace", ["silver", "gold-plated brass", "amber", "turquoise"], "length", (30, 240)),
        ("Pendant", ["silver", "copper", "jade"], "length", (25, 180)),
    ],
    ("Jewelry", "Rings"): [("Ring", ["silver", "gold", "copper"], "size", (25, 300))],
    ("Jewelry", "Earrings"): [
        ("Earrings", ["silver", "gold-plated brass", "beaded glass"], "finish", (20, 150)),
    ],
    ("Jewelry", "Bracelets"): [
        ("Bracelet", ["silver", "leather", "beaded glass", "copper"], "size", (18, 160)),
    ],
    ("Clothing & Accessories", "Scarves"): [
        ("Scarf", ["wool", "silk", "cashmere", "cotton"], "colour", (30, 180)),
    ],
    ("Clothing & Accessories", "Bags"): [
        ("Tote Bag", ["canvas", "leather", "jute"], "colour", (25, 160)),
        ("Backpack", ["leather", "waxed canvas"], "colour", (90, 320)),
        ("Pouch", ["leather", "cotton", "felt"], "colour", (15, 60)),
    ],
    ("Clothing & Accessories", "Wallets"): [
        ("Wallet", ["leather", "cork", "waxed canvas"], "colour", (25, 120)),
    ],
    ("Clothing & Accessories", "Hats"): [
        ("Hat", ["wool", "straw", "felt"], "size", (30, 140)),
        ("Beanie", ["merino wool", "alpaca", "cotton"], "colour", (20, 70)),
    ],
    ("Textiles & Rugs", "Rugs"): [
        ("Rug", ["wool", "cotton", "jute", "silk"], "size", (90, 900)),
        ("Kilim", ["wool", "cotton"], "size", (120, 1100)),
    ],
    ("Textiles & Rugs", "Blankets & Throws"): [
        ("Throw", ["wool", "alpaca", "cotton", "mohair"], "colour", (60, 260)),
        ("Quilt", ["cotton", "linen"], "size", (120, 480)),
    ],
    ("Textiles & Rugs", "Cushions"): [
        ("Cushion Cover", ["linen", "wool", "velvet", "cotton"], "colour", (22, 75)),
    ],
    ("Stationery", "Journals"): [
        ("Journal", ["leather", "recycled paper", "linen"], "size", (18, 70)),
        ("Sketchbook", ["cotton paper", "recycled paper"], "size", (14, 45)),
    ],
    ("Stationery", "Cards & Prints"): [
        ("Greeting Card", ["letterpress paper", "recycled card"], "design", (4, 12)),
    ],
    ("Beauty", "Soap & Bath"): [
        ("Soap Bar", ["olive oil", "goat milk", "shea butter"], "scent", (6, 18)),
        ("Bath Salts", ["sea salt", "himalayan salt"], "scent", (10, 30)),
    ],
    ("Toys & Kids", "Wooden Toys"): [
        ("Toy Train", ["beech", "maple"], "colour", (25, 80)),
        ("Stacking Toy", ["beech", "birch"], "colour", (18, 55)),
        ("Rag Doll", ["cotton", "wool felt"], "design", (22, 60)),
    ],
}

VARIANT_AXES: dict[str, list[str]] = {
    "size": ["small", "medium", "large"],
    "colour": ["indigo", "ochre", "charcoal", "natural", "rose"],
    "scent": ["cedar", "fig", "lavender", "orange blossom", "unscented"],
    "finish": ["brushed", "polished", "matte"],
    "length": ["40 cm", "45 cm", "50 cm"],
    "design": ["botanical", "geometric", "celestial"],
}

TECHNIQUES = [
    "wheel-thrown",
    "hand-built",
    "loom-woven",
    "hand-stitched",
    "hand-carved",
    "hand-forged",
    "block-printed",
    "naturally dyed",
    "hand-knotted",
    "kiln-fired",
]
SHOP_CRAFTS = [
    "Pottery",
    "Weaving",
    "Woodwork",
    "Jewellery",
    "Leather",
    "Textiles",
    "Ceramics",
    "Metalwork",
    "Paper Goods",
    "Candle",
    "Glass",
]
CLOSINGS = [
    "Gift-wrapped on request.",
    "Ships in recycled packaging.",
    "Made to order in small batches.",
    "Care: wipe clean, keep out of direct sun.",
]
SHOP_NOUNS = ["Studio", "Workshop", "Atelier", "Collective", "House", "Loft", "Corner", "Bench"]
