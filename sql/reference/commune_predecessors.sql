-- ref.commune_predecessors: for each commune of each version, its predecessors in every
-- other version (registry.md "Comparing years across versions"). Back in time, the
-- succession lines between consecutive versions, composed along the chain, else the
-- commune of the same code and the same name; a commune with none known in a version
-- (it changed, no succession is known) has one row there with previous_code null, and
-- so in every version before. Forward in time, the commune of the same code and name.
-- Same version: the commune itself. Reads commune_name_keys (registry_version,
-- commune_code, name_key), the names as they compare across versions (same_name).
with recursive

versions as (
    select
        registry_version,
        row_number() over (order by in_force_from) as position
    from ref.registry_versions
),

units as (
    select
        keys.commune_code,
        keys.name_key,
        versions.position
    from commune_name_keys as keys
    inner join versions on keys.registry_version = versions.registry_version
),

-- for each commune of a version and each other version: the commune of the same code and
-- the same name there (previous_code null when there is none)
same_named as (
    select
        units.position as start_position,
        units.commune_code,
        other_versions.position,
        case when other.name_key = units.name_key then units.commune_code end
            as previous_code,
        coalesce(other.name_key = units.name_key, false) as whole
    from units
    inner join versions as other_versions on units.position != other_versions.position
    left join units as other
        on
            other_versions.position = other.position
            and units.commune_code = other.commune_code
),

-- a commune's predecessors in the version just before its own: the lines leading into it
lines_into as (
    select
        units.position,
        units.commune_code,
        lines.from_code as previous_code,
        lines.whole
    from units
    inner join versions as newer on units.position = newer.position
    inner join versions as older on units.position - 1 = older.position
    inner join ref.commune_successions as lines
        on
            newer.registry_version = lines.to_version
            and units.commune_code = lines.to_code
            and older.registry_version = lines.from_version
),

-- ... else the commune of the same code and name there, else none (previous_code null)
steps as (
    select
        position,
        commune_code,
        previous_code,
        whole
    from lines_into
    union all
    select
        same_named.start_position as position,
        same_named.commune_code,
        same_named.previous_code,
        same_named.whole
    from same_named
    anti join lines_into
        on
            same_named.start_position = lines_into.position
            and same_named.commune_code = lines_into.commune_code
    where same_named.position = same_named.start_position - 1
),

-- every path back from a commune, one version at a time; a path ends where no
-- predecessor is known
chain as (
    select
        position as start_position,
        commune_code,
        position,
        commune_code as previous_code,
        true as whole
    from units
    union all
    select
        chain.start_position,
        chain.commune_code,
        chain.position - 1 as position,
        steps.previous_code,
        chain.whole and steps.whole as whole
    from chain
    inner join steps
        on
            chain.position = steps.position
            and chain.previous_code = steps.commune_code
),

-- the latest earlier version in which a predecessor of the commune is not known
lost as (
    select
        start_position,
        commune_code,
        max(position) as position
    from chain
    where previous_code is null
    group by start_position, commune_code
),

known_back as (
    select
        chain.start_position,
        chain.commune_code,
        chain.position,
        chain.previous_code,
        bool_and(chain.whole) as whole
    from chain
    left join lost
        on
            chain.start_position = lost.start_position
            and chain.commune_code = lost.commune_code
    where lost.position is null or chain.position > lost.position
    group by chain.start_position, chain.commune_code, chain.position, chain.previous_code
),

unknown_back as (
    select
        lost.start_position,
        lost.commune_code,
        versions.position,
        null::varchar as previous_code,
        false as whole
    from lost
    inner join versions on lost.position >= versions.position
),

-- forward in time: the same code under the same name only
forward as (
    select * from same_named
    where position > start_position
),

found as (
    select * from known_back
    union all
    select * from unknown_back
    union all
    select * from forward
)

select
    own.registry_version,
    found.commune_code,
    previous.registry_version as previous_version,
    found.previous_code,
    found.whole
from found
inner join versions as own on found.start_position = own.position
inner join versions as previous on found.position = previous.position
