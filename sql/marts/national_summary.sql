-- one row per year with an accepted submission, over the provinces in scope
with

rolled_up as (
    select * from intermediate.int_district_summaries_rolled_up
),

final as (
    select
        year,
        provinces_in_scope,
        districts_expected as districts_in_scope,
        communes_expected as communes_in_scope,
        * exclude (
            level,
            year,
            province_code,
            province_name,
            district_code,
            provinces_in_scope,
            districts_expected
        )
    from rolled_up
    where level = 'nation'
)

select * from final
