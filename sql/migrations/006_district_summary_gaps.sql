-- The district summary gained the gaps to the targets, the reduction line and the latest
-- rejected file, and the rolled-up summaries a district level. A scoped build cannot add
-- columns to a model's table, so the last build is marked as made from unknown reference
-- data: the next run rebuilds every model whole.
update ops.marts_builds
set reference = null
where build_id = (select max(mb.build_id) from ops.marts_builds as mb);
