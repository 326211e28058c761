-- one row per reporting year that has a submission, with the active ruleset applying to it
with

submissions as (
    select * from staging.stg_submissions
),

rulesets as (
    select * from staging.stg_rulesets
),

years as (
    select distinct year
    from submissions
    where year is not null
),

matched as (
    select
        years.year,
        rulesets.* exclude (rulesets.is_active)
    from years
    inner join rulesets
        on
            rulesets.is_active
            and years.year between rulesets.first_year and rulesets.last_year
    -- overlapping active rulesets are a configuration error; the most recent period wins
    qualify
        row_number() over (
            partition by years.year
            order by rulesets.first_year desc, rulesets.ruleset desc
        ) = 1
),

final as (
    select * from matched
)

select * from final
