"""How far the default property searches reach: the markets they draw.

The hypothesis strategies (:mod:`mechanisms.strategies`) and ``prefmarket check``
(:mod:`mechanisms.property_survey`) draw from the same space:

- sellers: three markets in four have 1 to :data:`SMALL_MARKET` sellers, the others
  up to :data:`MAX_SELLERS`, so most markets are small and cheap to check, and
  hypothesis shrinks a failure that needs many sellers to the fewest that show it;
- money: half the markets are on the scale 1, the others on a scale drawn from
  :data:`MONEY_SCALES` (so 2/3 on 1, 1/6 each on 10 and 1000); a market's values and
  costs lie in ``[0, scale]`` and its budget in ``(0, n * scale]``, so a rule that
  assumes prices of order 1 meets markets where they are not.
"""

#: Most sellers in a default market.
MAX_SELLERS = 8

#: Most sellers in the half of the markets kept small.
SMALL_MARKET = 4

#: Money scales a default market is drawn on; the first is the plain one.
MONEY_SCALES = (1.0, 10.0, 1000.0)
