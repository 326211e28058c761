-- The fingerprint of the reference data (registry and rulesets) loaded into ref.*, and the
-- one each rebuild of the models used: ref.* is rewritten only when the fingerprint
-- changes, and marts built from other reference data (a province edited its ruleset) are
-- rebuilt whole by the next run.
create table if not exists ops.reference_state (
    fingerprint varchar not null,
    refreshed_at timestamptz not null
);

alter table ops.marts_builds add column if not exists reference varchar;
