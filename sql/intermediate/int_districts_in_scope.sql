-- one row per district and year, for provinces with an accepted submission that year: the
-- districts of the province's registry version for the year, plus every district with a
-- submission in force (registry.md "Assessment and roll-ups"), each with its version
with

in_force as (
    select * from staging.stg_submissions_in_force
),

districts as (
    select * from staging.stg_districts_by_version
),

versions as (
    select * from staging.stg_registry_versions
),

rulesets as (
    select * from intermediate.int_rulesets_by_year
),

district_submissions as (
    select * from intermediate.int_district_submissions_summarised
),

provinces_in_scope as (
    select distinct
        province_code,
        year
    from in_force
),

-- the version in force on the reporting deadline, 15 January of Y+1 (the earliest before it)
year_versions as (
    select
        years.year,
        coalesce(
            max_by(versions.registry_version, versions.in_force_from) filter (
                where versions.in_force_from <= make_date(years.year + 1, 1, 15)
            ),
            min_by(versions.registry_version, versions.in_force_from)
        ) as year_version
    from (select distinct year from provinces_in_scope) as years
    cross join versions
    group by years.year
),

version_votes as (
    select
        year,
        province_code,
        registry_version,
        count(*) as count_submissions
    from in_force
    group by year, province_code, registry_version
),

most_used as (
    select
        year,
        province_code,
        -- the version most of the province's submissions used; none on a tie
        case
            when count(*) filter (where is_top) = 1
                then any_value(registry_version) filter (where is_top)
        end as registry_version
    from (
        select
            *,
            count_submissions = max(count_submissions) over (
                partition by year, province_code
            ) as is_top
        from version_votes
    ) as votes
    group by year, province_code
),

province_versions as (
    select
        provinces_in_scope.year,
        provinces_in_scope.province_code,
        coalesce(most_used.registry_version, year_versions.year_version) as registry_version
    from provinces_in_scope
    inner join year_versions
        on provinces_in_scope.year = year_versions.year
    left join most_used
        on
            provinces_in_scope.year = most_used.year
            and provinces_in_scope.province_code = most_used.province_code
),

district_years as (
    select
        province_versions.year,
        districts.province_code,
        districts.district_code
    from province_versions
    inner join districts
        on
            province_versions.registry_version = districts.registry_version
            and province_versions.province_code = districts.province_code
    union
    select
        year,
        province_code,
        district_code
    from in_force
),

with_versions as (
    select
        district_years.*,
        province_versions.registry_version as province_registry_version,
        coalesce(
            in_force.registry_version, province_versions.registry_version
        ) as registry_version
    from district_years
    inner join province_versions
        on
            district_years.year = province_versions.year
            and district_years.province_code = province_versions.province_code
    left join in_force
        on
            district_years.district_code = in_force.district_code
            and district_years.year = in_force.year
),

-- a district's name in its version (in the latest version that has it, should its own lack it)
names as (
    select
        district_code,
        max_by(district_name, registry_version) as district_name
    from districts
    group by district_code
),

scoped as (
    select
        with_versions.year,
        with_versions.province_code,
        with_versions.district_code,
        coalesce(own_name.district_name, names.district_name) as district_name,
        with_versions.registry_version,
        with_versions.province_registry_version,
        rulesets.ruleset,
        rulesets.baseline_year,
        district_submissions.submission_id,
        district_submissions.first_accepted_at,
        district_submissions.deadline_at,
        coalesce(district_submissions.count_files_received, 0) as count_files_received,
        coalesce(district_submissions.submission_status, 'missing') as submission_status
    from with_versions
    inner join rulesets
        on with_versions.year = rulesets.year
    left join districts as own_name
        on
            with_versions.registry_version = own_name.registry_version
            and with_versions.district_code = own_name.district_code
    left join names
        on with_versions.district_code = names.district_code
    left join district_submissions
        on
            with_versions.district_code = district_submissions.district_code
            and with_versions.year = district_submissions.year
),

final as (
    select * from scoped
)

select * from final
