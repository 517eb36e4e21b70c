-- 003: when each master began serving agents with unbroken contact with the database (SPEC §11: the
-- restart grace applies only when no master was serving). Written by the master's own lease tick: set
-- when it starts serving, kept while its ticks follow one another within a lease, started again after a
-- break, null while it does not serve. The leader's grace runs one offline threshold from the earliest
-- such time among the masters in contact: a failover to a master that was serving holds nothing.
ALTER TABLE masters ADD COLUMN serving_since timestamptz;
