-- one ticket per order: a redelivery is counted (deliveries + 1), never shown twice.
CREATE UNIQUE INDEX IF NOT EXISTS tickets_order_id ON tickets (order_id);
