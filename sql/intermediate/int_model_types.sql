-- one row per typical-model type of the workbook contract (v1)
with

model_types as (
    select
        contract_types.model_type,
        contract_types.model_type_order
    from (
        values
        ('five_self_management', 1),
        ('security_camera', 2),
        ('four_safety', 3),
        ('drug_prevention', 4),
        ('traffic_order', 5),
        ('clan_self_governing', 6),
        ('religious_self_governing', 7),
        ('interfamily_group', 8),
        ('reintegration', 9),
        ('other', 10)
    ) as contract_types (model_type, model_type_order)
),

final as (
    select * from model_types
)

select * from final
