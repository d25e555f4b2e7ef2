-- Each group's ranking also written as text, one letter per option, chr(64 + id): "A" for option 1, "T" for
-- option 20, "CAB" for the ranking 3, 1, 2. The runoff's recount reads these (polls/kinds/ranking.py): text as
-- it is stored costs PostgreSQL little to send, where writing 10,000 integer arrays out as text took it
-- about 5 ms per recount, and the count strips eliminated options off the front of such a string at once.
CREATE FUNCTION ranking_code(ranking integer[]) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    code text := '';
    id integer;
BEGIN
    FOREACH id IN ARRAY ranking LOOP
        code := code || chr(64 + id);
    END LOOP;
    RETURN code;
END
$$;

-- Written on every insert, whatever inserts the row: the upsert, and an undo putting back rows as they were
-- kept (those kept before this column too). A generated column would refuse such rows, which carry it.
CREATE FUNCTION ranking_group_coded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.code := ranking_code(NEW.ranking);
    RETURN NEW;
END
$$;

ALTER TABLE ranking_groups ADD COLUMN code text;
UPDATE ranking_groups SET code = ranking_code(ranking);
ALTER TABLE ranking_groups ALTER COLUMN code SET NOT NULL;
CREATE TRIGGER ranking_group_coded BEFORE INSERT ON ranking_groups
    FOR EACH ROW EXECUTE FUNCTION ranking_group_coded();

-- The snapshots kept of earlier rounds (which an export reads as the snapshot is read) wrote the groups as
-- "3,1,2:5;1,2,3:4", a ranking and its number of ballots: the same groups as polls/kinds/ranking.py reads
-- them now, those of one ballot apart from the others.
UPDATE poll_rounds r SET tally = jsonb_set(r.tally, '{rankings}', (
    SELECT jsonb_build_object(
        'once', coalesce(string_agg(g.code, ',') FILTER (WHERE g.ballots = 1), ''),
        'more', coalesce(string_agg(g.code || g.ballots, ',') FILTER (WHERE g.ballots > 1), '')
    )
    FROM (
        SELECT ranking_code(string_to_array(split_part(part, ':', 1), ',')::integer[]) AS code,
               split_part(part, ':', 2)::integer AS ballots
        FROM unnest(string_to_array(r.tally ->> 'rankings', ';')) AS part
    ) AS g
))
WHERE jsonb_typeof(r.tally -> 'rankings') = 'string';
