import Foundation

/// CS446 HW2 problem 1 in closed form: x_1 = e_1 (y = +1), x_2 = -a e_1 (y = -1) in R^d.
///
/// First formulation (a 1 appended to the inputs, u in R^(d+1)): the constraints (c) are
/// u_1 + u_(d+1) >= 1 and a u_1 - u_(d+1) >= 1; coordinates 2..d appear in neither, so they
/// are 0. Adding the two gives (d) u_1 >= 2 / (a + 1). The nearest point to 0 on the first
/// half-plane is (1/2, 1/2); it meets the second iff a/2 - 1/2 >= 1, i.e. a >= 3, so there
/// u = (1/2, 0, ..., 0, 1/2) and 1/2 ||u||^2 = 1/4 for every a >= 3. For a < 3 both are
/// tight: u_1 = 2/(a+1), u_(d+1) = (a-1)/(a+1). Dual (K = 1 + <x, x'>): a >= 3: alpha = (1/2, 0);
/// a < 3: alpha = ((a^2 - a + 2), (3 - a)) / (a + 1)^2.
///
/// Second formulation (free bias): v_1 + b >= 1 and a v_1 - b >= 1 give v_1 >= 2/(a+1),
/// reached only with both tight, so v = (2/(a+1), 0, ..., 0) and b = (a-1)/(a+1), unique, for
/// every a > -1; 1/2 ||v||^2 = 2/(a+1)^2. Dual (K = <x, x'>, alpha_1 = alpha_2 by
/// sum alpha_i y_i = 0): alpha_1 = alpha_2 = 2/(a+1)^2.
///
/// (f) As a -> infinity, 1/2 ||u_a||^2 = 1/4 stays while 1/2 ||v_a||^2 -> 0. Geometrically, the
/// second separator sits at the midpoint x_1 = (1-a)/2 with margin 1/||v|| = (a+1)/2 -> infinity;
/// the first, whose bias is penalised, stays at x_1 = -u_(d+1)/u_1 = -1 with margin 2 for a >= 3
/// (for a <= 3 the two coincide). (b) With x_1 alone, the first form still gives
/// (1/2, 0, ..., 0, 1/2), but the second is solved by v = 0 and any b >= 1: its dual forces
/// alpha_1 y_1 = 0, and no margin support vector fixes b.
public enum BiasClosedForms {
    /// u_1 of the first formulation.
    public static func u1(_ a: Double) -> Double { a >= 3 ? 0.5 : 2 / (a + 1) }
    /// u_(d+1), the appended coordinate (the bias) of the first formulation.
    public static func uLast(_ a: Double) -> Double { a >= 3 ? 0.5 : (a - 1) / (a + 1) }
    /// v_1 of the second formulation.
    public static func v1(_ a: Double) -> Double { 2 / (a + 1) }
    /// b of the second formulation.
    public static func b(_ a: Double) -> Double { (a - 1) / (a + 1) }
    /// 1/2 ||u||^2.
    public static func halfNormU(_ a: Double) -> Double { 0.5 * (u1(a) * u1(a) + uLast(a) * uLast(a)) }
    /// 1/2 ||v||^2.
    public static func halfNormV(_ a: Double) -> Double { 2 / ((a + 1) * (a + 1)) }
    /// The geometric margin in R^d of the first formulation's separator u_1 x_1 + u_(d+1) = 0.
    public static func marginU(_ a: Double) -> Double { a >= 3 ? 2 : (a + 1) / 2 }
    /// The geometric margin 1/||v|| of the second formulation.
    public static func marginV(_ a: Double) -> Double { (a + 1) / 2 }
    /// The dual variables of the first formulation (kernel 1 + <x, x'>).
    public static func alphaU(_ a: Double) -> [Double] {
        a >= 3 ? [0.5, 0] : [(a * a - a + 2) / ((a + 1) * (a + 1)), (3 - a) / ((a + 1) * (a + 1))]
    }
    /// The dual variables of the second formulation (kernel <x, x'>, with bias).
    public static func alphaV(_ a: Double) -> [Double] { [2 / ((a + 1) * (a + 1)), 2 / ((a + 1) * (a + 1))] }
    /// The limits as a -> infinity of 1/2 ||u_a||^2 and 1/2 ||v_a||^2.
    public static let limits = (halfNormU: 0.25, halfNormV: 0.0)
}
