-- Every issue names the cell it is about ("D7"), null when it is about a sheet or the file,
-- so feedback workbooks and BI tools point at the cell without searching the sheet.
alter table ops.validation_issues add column if not exists cell varchar;
