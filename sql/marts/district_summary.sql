-- one row per registry district and year, for provinces with an accepted submission that year
with

summarised as (
    select * from intermediate.int_districts_summarised
),

final as (
    select * from summarised
)

select * from final
