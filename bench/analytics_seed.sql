-- Set-based seed of the analytics benchmark (run by bench/analytics.py on a fresh database
-- migrated from the test template). Parameters (psql-style placeholders replaced by the
-- harness): :shops, :lines, :months, :customers, :top_share, :currency.
-- Ids are explicit (the tables are empty), and the identity sequences are moved past them.

SELECT setseed(0.42);

-- Ten root categories (treebeard materialised paths 0001..000A).
INSERT INTO catalog_category (id, path, depth, numchild, name, slug)
SELECT i, '000' || upper(to_hex(i)), 1, 0, n, lower(n)
FROM unnest(ARRAY['Pottery', 'Textiles', 'Jewelry', 'Leather', 'Woodwork', 'Ceramics', 'Rugs',
                  'Spices', 'Cosmetics', 'Lighting']) WITH ORDINALITY AS c (n, i);

-- Customers 1..customers, shop owners customers+1..customers+shops. One unusable password.
INSERT INTO accounts_user (id, password, is_superuser, email, first_name, last_name, role,
                           is_active, is_staff, is_email_verified, is_phone_verified,
                           date_joined, token_generation)
SELECT g, '!bench', false,
       CASE WHEN g <= :customers THEN 'customer' || g ELSE 'owner' || (g - :customers) END
         || '@bench.souk.test',
       'Bench', g::text,
       CASE WHEN g <= :customers THEN 'customer' ELSE 'artisan' END,
       true, false, true, false, now() - interval '3 years', 0
FROM generate_series(1, :customers + :shops) g;

-- Shop plan: shop 1 takes :top_share of the lines, the others follow a power law
-- (weight rank^-0.7), which puts the median shop at a few hundred lines.
CREATE UNLOGGED TABLE bench_shop_plan AS
WITH w AS (
    SELECT s AS shop_id, CASE WHEN s = 1 THEN 0 ELSE power(s, -0.7) END AS weight
    FROM generate_series(1, :shops) s
), t AS (SELECT sum(weight) AS others FROM w),
lines AS (
    SELECT w.shop_id,
           greatest(3, round(CASE WHEN w.shop_id = 1 THEN :lines * :top_share
                                  ELSE :lines * (1 - :top_share) * w.weight / t.others END))::int
             AS lines_target
    FROM w, t
)
SELECT shop_id, lines_target,
       ceil(lines_target / 2.5)::int AS norders,
       greatest(3, least(400, round(sqrt(lines_target))))::int AS nprod,
       1 + coalesce(sum(greatest(3, least(400, round(sqrt(lines_target))))::int)
                      OVER (ORDER BY shop_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                    0)::int AS first_product
FROM lines;

INSERT INTO shops_shop (id, created_at, updated_at, name, slug, description, location, address,
                        phone, email, rating, review_count, product_count, owner_id)
SELECT p.shop_id, now() - interval '3 years', now(), 'Bench shop ' || p.shop_id,
       'bench-shop-' || p.shop_id, '',
       ST_SetSRID(ST_MakePoint(-7 + random() * 4, 31 + random() * 4), 4326)::geography,
       p.shop_id || ' Market Street', '+212600000000', 'shop' || p.shop_id || '@bench.souk.test',
       4.50, 0, p.nprod, :customers + p.shop_id
FROM bench_shop_plan p;

INSERT INTO shops_shopmember (created_at, updated_at, role, shop_id, user_id)
SELECT now(), now(), 'owner', shop_id, :customers + shop_id FROM bench_shop_plan;

-- Products: half in the shop's own category, half anywhere; 2% soft-deleted (history stays).
INSERT INTO catalog_product (id, created_at, updated_at, deleted_at, name, slug, description,
                             attributes, location, category_text, price_min, rating,
                             review_count, search_score, category_id, shop_id)
SELECT x.id, now() - interval '3 years', now(),
       CASE WHEN random() < 0.02 THEN now() - interval '10 days' END,
       'Product ' || x.id, 'product-' || x.id, '', '{}', s.location, c.name, 0, 0, 0, 0,
       c.id, x.shop_id
FROM (
    SELECT p.first_product + k - 1 AS id, p.shop_id,
           CASE WHEN random() < 0.5 THEN 1 + p.shop_id % 10
                ELSE 1 + floor(random() * 10)::int END AS category_id
    FROM bench_shop_plan p, generate_series(1, p.nprod) k
) x
JOIN shops_shop s ON s.id = x.shop_id
JOIN catalog_category c ON c.id = x.category_id;

INSERT INTO catalog_variant (id, created_at, updated_at, sku, price, quantity, attributes,
                             position, product_id, shop_id)
SELECT id, created_at, updated_at, 'SKU-' || id, round((5 + random() ^ 2 * 495)::numeric, 2),
       100, '{}', 0, id, shop_id
FROM catalog_product;
UPDATE catalog_product p SET price_min = v.price FROM catalog_variant v WHERE v.product_id = p.id;

-- Orders: created over the last :months months (more recent ones more frequent), pending ones
-- in the last half hour; ids follow created_at as they would in production, so a shop's
-- orders and lines are spread over the tables. Customers are drawn from a per-shop pool so
-- that shops have repeat customers.
CREATE UNLOGGED TABLE bench_o AS
SELECT row_number() OVER (ORDER BY y.created_at)::bigint AS id, y.*
FROM (
    SELECT x.*,
           CASE WHEN x.status = 'pending_payment'
                THEN now() - x.r_time * interval '25 minutes'
                ELSE now() - x.r_time ^ 1.15 * (now() - (now() - make_interval(months => :months)))
           END AS created_at
    FROM (
        SELECT x0.*,
               CASE WHEN r < 0.03 THEN 'pending_payment'
                    WHEN r < 0.08 THEN 'expired'
                    WHEN r < 0.11 THEN 'cancelled'       -- before payment
                    WHEN r < 0.14 THEN 'cancelled'       -- after payment (refunded)
                    WHEN r < 0.19 THEN 'paid'
                    WHEN r < 0.24 THEN 'processing'
                    WHEN r < 0.34 THEN 'shipped'
                    ELSE 'delivered' END AS status,
               r >= 0.11 AS is_paid
        FROM (
            SELECT p.shop_id, p.first_product, p.nprod, 1 + floor(random() * 4)::int AS nlines,
                   ((p.shop_id * 7919 + floor(random() ^ 2 * greatest(20, p.norders * 0.6)))::bigint
                     % :customers) + 1 AS customer_id,
                   random() AS r, random() AS r_time, random() AS r_disc, random() AS r_paid,
                   random() AS r_del
            FROM bench_shop_plan p, generate_series(1, p.norders) g
        ) x0
    ) x
) y;

CREATE UNLOGGED TABLE bench_l AS
SELECT l.order_id, l.idx, l.product_id, l.quantity, v.price AS unit_price,
       (v.price * l.quantity * 100)::bigint AS line_c
FROM (
    SELECT o.id AS order_id, g AS idx,
           o.first_product + floor(random() ^ 1.7 * o.nprod)::int AS product_id,
           1 + floor(random() ^ 3 * 3)::int AS quantity
    FROM bench_o o, generate_series(1, o.nlines) g
) l
JOIN catalog_variant v ON v.id = l.product_id;

-- Order totals in cents; 20% of orders discounted (percent coupons, or a fixed 50.00 capped at
-- the subtotal).
CREATE UNLOGGED TABLE bench_t AS
SELECT o.id, s.subtotal_c,
       CASE WHEN o.r_disc < 0.05 THEN least(s.subtotal_c, 5000)
            WHEN o.r_disc < 0.20 THEN round(s.subtotal_c * (0.05 * (1 + floor(o.r_disc * 20)::int % 4)))::bigint
            ELSE 0 END AS discount_c
FROM bench_o o
JOIN (SELECT order_id, sum(line_c)::bigint AS subtotal_c FROM bench_l GROUP BY order_id) s
  ON s.order_id = o.id;

INSERT INTO orders_order (id, created_at, updated_at, deleted_at, number, status, payment_status,
                          subtotal, discount, total, currency, shipping_address, expires_at,
                          paid_at, cancelled_at, stock_returned_at, customer_id, shop_id)
SELECT o.id, o.created_at,
       coalesce(c.cancelled_at, p.paid_at, o.created_at),
       CASE WHEN o.r_del < 0.01 THEN now() END,
       'BA-' || lpad(o.id::text, 10, '0'), o.status,
       CASE WHEN o.status = 'cancelled' AND p.paid_at IS NOT NULL THEN 'refunded'
            WHEN p.paid_at IS NOT NULL THEN 'paid' ELSE 'unpaid' END,
       t.subtotal_c / 100.0, t.discount_c / 100.0, (t.subtotal_c - t.discount_c) / 100.0,
       :'currency', NULL, o.created_at + interval '30 minutes',
       p.paid_at, c.cancelled_at,
       CASE WHEN o.status IN ('cancelled', 'expired') THEN coalesce(c.cancelled_at, o.created_at + interval '30 minutes') END,
       o.customer_id, o.shop_id
FROM bench_o o
JOIN bench_t t ON t.id = o.id
CROSS JOIN LATERAL (
    SELECT CASE WHEN o.is_paid
                THEN least(now(), o.created_at + o.r_paid * interval '20 minutes') END AS paid_at
) p
CROSS JOIN LATERAL (
    SELECT CASE WHEN o.status = 'cancelled'
                THEN least(now(), coalesce(p.paid_at, o.created_at) + interval '2 hours') END
             AS cancelled_at
) c
ORDER BY o.id;

-- Lines: the discount split over the lines in proportion to their totals, to the cent, by
-- largest remainder (as souk.orders.services.pricing.allocate), so net totals add up to the
-- order's total.
INSERT INTO orders_orderitem (id, sku, name, unit_price, quantity, line_total, order_id,
                              product_id, variant_id, net_total)
SELECT row_number() OVER (ORDER BY a.order_id, a.idx), 'SKU-' || a.product_id,
       'Product ' || a.product_id, a.unit_price, a.quantity, a.line_c / 100.0, a.order_id,
       a.product_id, a.product_id,
       (a.line_c - a.share_floor - CASE WHEN a.pos <= a.left_c THEN 1 ELSE 0 END) / 100.0
FROM (
    SELECT f.*, f.discount_c - sum(f.share_floor) OVER (PARTITION BY f.order_id) AS left_c,
           row_number() OVER (PARTITION BY f.order_id ORDER BY f.remainder DESC, f.idx) AS pos
    FROM (
        SELECT l.*, t.discount_c, t.discount_c * l.line_c / t.subtotal_c AS share_floor,
               t.discount_c * l.line_c % t.subtotal_c AS remainder
        FROM bench_l l JOIN bench_t t ON t.id = l.order_id
    ) f
) a
ORDER BY a.order_id, a.idx;

SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), (SELECT max(id) FROM accounts_user));
SELECT setval(pg_get_serial_sequence('shops_shop', 'id'), (SELECT max(id) FROM shops_shop));
SELECT setval(pg_get_serial_sequence('catalog_category', 'id'), (SELECT max(id) FROM catalog_category));
SELECT setval(pg_get_serial_sequence('catalog_product', 'id'), (SELECT max(id) FROM catalog_product));
SELECT setval(pg_get_serial_sequence('catalog_variant', 'id'), (SELECT max(id) FROM catalog_variant));
SELECT setval(pg_get_serial_sequence('orders_order', 'id'), (SELECT max(id) FROM orders_order));
SELECT setval(pg_get_serial_sequence('orders_orderitem', 'id'), (SELECT max(id) FROM orders_orderitem));

DROP TABLE bench_o, bench_l, bench_t;
