-- The ledger's statuses follow the in-force model: its choice is `accepted`, every other
-- valid file of the same district and year `superseded`; only rows that change are touched.
update ops.submissions as s
set
    status = case
        when s.submission_id in (
            select f.submission_id from staging.stg_submissions_in_force as f
        ) then 'accepted'
        else 'superseded'
    end,
    status_changed_at = now()
where
    s.status in ('accepted', 'superseded')
    and s.status <> case
        when s.submission_id in (
            select f.submission_id from staging.stg_submissions_in_force as f
        ) then 'accepted'
        else 'superseded'
    end
