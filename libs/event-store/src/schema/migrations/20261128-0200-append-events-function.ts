/* eslint-disable @typescript-eslint/no-explicit-any -- kysely migrations are written against Kysely<any> (schema-agnostic by design) */
import { sql, type Kysely } from 'kysely';

/**
 * SQLSTATE raised by `append_events` when a stream is not at its expected
 * version; DETAIL carries the stream's actual version. Class `KG` is kmsgrid's.
 */
export const APPEND_CONFLICT_SQLSTATE = 'KG409';

/**
 * `<schema>.append_events(lock_class, lock_obj, appends jsonb, raise_conflict)`:
 * one call appends to any number of streams (ADR 0003, "one round trip per
 * commit"). It takes the store's append lock (so global positions become
 * visible in order), checks every stream's expected version first, then
 * writes the stream versions and the events, and returns
 * (stream, version, position, event id, recorded at) per event in append
 * order.
 *
 * There is no outbox row: the relay reads the events after its checkpoint
 * (migration 20261128_0300).
 *
 * On a version conflict nothing is written. With `raise_conflict` it raises
 * KG409 (DETAIL the actual version, HINT the stream), which aborts the
 * statement and its transaction: that is what keeps statements run beside it
 * from committing. Without, it returns one row (stream, actual version, null
 * position) and the caller's transaction stays usable.
 *
 * `appends`: `[{"stream": "<id>", "expected": "any" | "no_stream" | "<n>",
 *   "events": [{"id": "<uuid>", "type": "...", "data": {...}, "metadata": {...}}]}]`
 */
export async function up(db: Kysely<any>, schema: string): Promise<void> {
  const fn = sql.raw(`${schema}.append_events`);
  const streams = sql.raw(`${schema}.streams`);
  await sql`
    create or replace function ${fn}(p_lock_class int4, p_lock_obj int4, p_appends jsonb, p_raise_conflict boolean)
    returns table (o_stream text, o_version int, o_position bigint, o_event_id uuid, o_recorded_at timestamptz)
    language plpgsql
    set search_path = pg_catalog, pg_temp
    as $fn$
    declare
      a jsonb;
      sid text;
      n int;
      expected text;
      current_version int;
      targets jsonb := '{}'::jsonb;
      target int;
    begin
      perform pg_advisory_xact_lock(p_lock_class, p_lock_obj);
      -- Pass 1: every expected version, before anything is written (a stream may appear twice).
      for a in select value from jsonb_array_elements(p_appends) loop
        sid := a->>'stream';
        expected := a->>'expected';
        current_version := (targets->>sid)::int;
        if current_version is null then
          select st.version into current_version from ${streams} as st where st.stream_id = sid;
          current_version := coalesce(current_version, 0);
        end if;
        if expected <> 'any' and current_version <> (case when expected = 'no_stream' then 0 else expected::int end) then
          if p_raise_conflict then
            raise exception 'stream % is at version %, expected %', sid, current_version, expected
              using errcode = '${sql.raw(APPEND_CONFLICT_SQLSTATE)}', detail = current_version::text, hint = sid;
          end if;
          return query select sid, current_version, null::bigint, null::uuid, null::timestamptz;
          return;
        end if;
        targets := targets || jsonb_build_object(sid, current_version + jsonb_array_length(a->'events'));
      end loop;
      -- Pass 2: the writes, under the lock, so the versions checked above still hold.
      for a in select value from jsonb_array_elements(p_appends) loop
        sid := a->>'stream';
        n := jsonb_array_length(a->'events');
        insert into ${streams} as st (stream_id, version) values (sid, n)
          on conflict (stream_id) do update set version = st.version + n, updated_at = now()
          returning st.version into target;
        return query
          with e as (
            insert into ${sql.raw(`${schema}.events`)} as ev (event_id, stream_id, stream_version, type, data, metadata)
            select (x.v->>'id')::uuid, sid, target - n + x.ord::int, x.v->>'type', x.v->'data', coalesce(x.v->'metadata', '{}'::jsonb)
            from jsonb_array_elements(a->'events') with ordinality as x(v, ord)
            order by x.ord
            returning ev.stream_id, ev.stream_version, ev.global_position, ev.event_id, ev.recorded_at
          )
          select e.stream_id, e.stream_version, e.global_position, e.event_id, e.recorded_at from e order by e.stream_version;
      end loop;
    end
    $fn$`.execute(db);
}

export async function down(db: Kysely<any>, schema: string): Promise<void> {
  await sql`drop function if exists ${sql.raw(`${schema}.append_events`)}(int4, int4, jsonb, boolean)`.execute(db);
}
