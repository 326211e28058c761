-- A rebuild may cover some provinces only: which ones (null: every province).
-- Staging models became views; the runner drops their old tables on the next build.
alter table ops.marts_builds add column if not exists province_codes varchar[];
