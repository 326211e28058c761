-- one row per registry district and year, for provinces with an accepted submission that year
with

in_force as (
    select * from staging.stg_submissions_in_force
),

districts as (
    select * from staging.stg_districts
),

rulesets as (
    select * from intermediate.int_rulesets_by_year
),

district_submissions as (
    select * from intermediate.int_district_submissions_summarised
),

provinces_in_scope as (
    select distinct
        districts.province_code,
        in_force.year
    from in_force
    inner join districts
        on in_force.district_code = districts.district_code
),

scoped as (
    select
        provinces_in_scope.year,
        districts.province_code,
        districts.district_code,
        districts.district_name,
        rulesets.ruleset,
        rulesets.baseline_year,
        district_submissions.submission_id,
        district_submissions.first_accepted_at,
        district_submissions.deadline_at,
        coalesce(district_submissions.count_files_received, 0) as count_files_received,
        coalesce(district_submissions.submission_status, 'missing') as submission_status
    from provinces_in_scope
    inner join districts
        on provinces_in_scope.province_code = districts.province_code
    inner join rulesets
        on provinces_in_scope.year = rulesets.year
    left join district_submissions
        on
            districts.district_code = district_submissions.district_code
            and provinces_in_scope.year = district_submissions.year
),

final as (
    select * from scoped
)

select * from final
