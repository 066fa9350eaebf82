-- 0001_object_refs.sql: presignd's own schema and the object references
-- the backfill writes and the gateway reads.
--
-- Everything presignd writes lives in the schema "presignd", so the role it
-- runs as needs only SELECT on the host's tables. Subject ids are stored as
-- text so any host id type (bigint, uuid) fits.

CREATE SCHEMA IF NOT EXISTS presignd;

CREATE TABLE presignd.object_refs (
    subject_id   text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('avatar', 'signature')),
    bucket       text NOT NULL CHECK (length(bucket) BETWEEN 3 AND 63),
    object_key   text NOT NULL CHECK (octet_length(object_key) BETWEEN 1 AND 1024),
    content_type text,
    -- the legacy URL this reference was derived from (NULL when written by
    -- the app itself after the migration)
    source_url   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_id, kind)
);

-- Every change to a reference tells running gateways to drop their cached
-- copy at once (channel presignd_invalidate, payload "user:<subject_id>").
CREATE FUNCTION presignd.notify_object_ref_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('presignd_invalidate', 'user:' || OLD.subject_id);
    ELSE
        PERFORM pg_notify('presignd_invalidate', 'user:' || NEW.subject_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER object_refs_notify
    AFTER INSERT OR UPDATE OR DELETE ON presignd.object_refs
    FOR EACH ROW EXECUTE FUNCTION presignd.notify_object_ref_change();
