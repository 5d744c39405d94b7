// --prefill: a ledger that already holds N CMIDs (issue 4: "answers no slower
// than 1.25 x an empty one"). The host migrates a fresh database on its first
// start; this fills it before the measured start, the way a host that served
// N machines over the last 29 days would have left it.

/** The application id of Windows (the count group the prefilled clients belong to). */
const WINDOWS_APPLICATION_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';
/** The relay's checkpoint row (event-store migration 20261128_0300). */
const RELAY_CHECKPOINT = 'outbox-relay';

/**
 * Fills schema `schema` of `url` with `n` Windows clients counted within the
 * last 29 days: the `clients` rows, one `ClientCounted` event each in the
 * count group's stream, the stream version, the `count_groups` row and the
 * relay checkpoint after them (so the relay does not publish the fill).
 * The clients' secondary indexes are dropped during the bulk insert and
 * rebuilt from their own definitions, so the schema stays as migrated.
 */
export async function prefillLedger(url: string, schema: string, n: number, log: (line: string) => void): Promise<void> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const q = (text: string, values: unknown[] = []) => c.query(text, values);
  const t = (name: string) => `"${schema}"."${name}"`;
  const started = Date.now();
  try {
    const { rows: indexes } = await q(`select indexname, indexdef from pg_indexes where schemaname = $1 and tablename = 'clients' and indexname <> 'clients_pkey'`, [schema]);
    if (indexes.length === 0) throw new Error(`schema ${schema} has no ledger tables: did the host migrate it?`);
    await q('begin');
    for (const i of indexes) await q(`drop index "${schema}"."${i.indexname as string}"`);
    await q(
      `insert into ${t('clients')} (application_id, cmid, first_seen_at, last_seen_at, last_counted_at, workstation_name, client_address,
        kms_counted_id, sku_id, license_status, binding_expiration_minutes, is_virtual_machine, previous_cmid, n_policy,
        protocol_version, rpc_syntax, request_count, refused_count, last_outcome, last_hresult, last_reported_count, last_request_id)
      select $1::uuid, md5('prefill' || i)::uuid, at, at, at, 'pc-' || i, '192.0.2.' || (i % 250 + 1),
        '7fde5219-fbfa-484a-82c9-34d1ad53e856', 'ae2ee509-1b34-41c0-acb7-6d4650168915', 1, 43200, false,
        '00000000-0000-0000-0000-000000000000', 25, '6.0', 'ndr64', 1, 0, 'counted', 0, 50, md5('request' || i)::uuid
      from (select i, now() - interval '29 days' + (i::float8 / $2::int) * interval '29 days' as at from generate_series(1, $2::int) as i) s
      order by at`,
      [WINDOWS_APPLICATION_ID, n],
    );
    for (const i of indexes) await q(i.indexdef as string);
    const stream = `countgroup:${WINDOWS_APPLICATION_ID}`;
    await q(
      `insert into ${t('events')} (event_id, stream_id, stream_version, type, data, metadata, recorded_at)
      select md5('event' || i)::uuid, $1, i, 'ClientCounted',
        jsonb_build_object('applicationId', $2::text, 'recordedAt', now(), 'activeClients', i, 'reportedCount', least(i, 50),
          'request', jsonb_build_object('cmid', md5('prefill' || i)::uuid, 'workstationName', 'pc-' || i, 'nPolicy', 25, 'licenseStatus', 1,
            'kmsCountedId', '7fde5219-fbfa-484a-82c9-34d1ad53e856', 'skuId', 'ae2ee509-1b34-41c0-acb7-6d4650168915', 'previousCmid', '00000000-0000-0000-0000-000000000000'),
          'origin', jsonb_build_object('requestId', md5('request' || i)::uuid, 'clientAddress', '192.0.2.1', 'rpcSyntax', 'ndr64')),
        jsonb_build_object('causationId', md5('request' || i)::uuid), now()
      from generate_series(1, $3::int) as i`,
      [stream, WINDOWS_APPLICATION_ID, n],
    );
    await q(`insert into ${t('streams')} (stream_id, version) values ($1, $2)`, [stream, n]);
    await q(
      `insert into ${t('count_groups')} (application_id, active_clients, reported_count, highest_n_policy, lowest_n_policy, threshold_status, updated_at, last_request_id, stream_version)
      values ($1, $2::int, 50, 25, 25, 'met', now() - interval '1 minute', md5('request' || $2::int::text)::uuid, $2::int)`,
      [WINDOWS_APPLICATION_ID, n],
    );
    await q(
      `insert into ${t('checkpoints')} (name, position) select $1, max(global_position) from ${t('events')}
      on conflict (name) do update set position = excluded.position`,
      [RELAY_CHECKPOINT],
    );
    await q('commit');
    await q(`analyze ${t('clients')}`);
    await q(`analyze ${t('events')}`);
  } catch (e) {
    await q('rollback').catch(() => undefined);
    throw e;
  } finally {
    await c.end();
  }
  log(`prefilled ${n} CMIDs (clients, events, stream, count group) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
