-- one row per province and year with an accepted submission, with the national targets
with

rolled_up as (
    select * from intermediate.int_district_summaries_rolled_up
),

final as (
    select * exclude (level, district_code, provinces_in_scope)
    from rolled_up
    where level = 'province'
)

select * from final
