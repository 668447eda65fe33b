-- securityEvents is pushed: every committed audit event wakes the subscribers of
-- its user on every server process (LISTEN auth_audit_event). Notifications
-- arrive in commit order, which is the order subscribers hear events in.
CREATE FUNCTION "auth_notify_audit_event"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."userId" IS NOT NULL THEN
    PERFORM pg_notify('auth_audit_event', NEW.id::text || ' ' || NEW."userId"::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "AuditEvent_notify" AFTER INSERT ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION "auth_notify_audit_event"();
