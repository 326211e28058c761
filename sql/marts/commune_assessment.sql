-- one row per registry commune and year, for provinces with an accepted submission that year
with

assessed as (
    select * from intermediate.int_communes_assessed
),

final as (
    select * from assessed
)

select * from final
