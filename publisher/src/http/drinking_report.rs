//! The quarterly (or monthly) drinking-water report at
//! `/drinking/report/{period}?lang=zh|en`: one HTML page, rendered here
//! from [`super::drinking::period_figures`], with what the disclosure rules
//! ask a supplier and the health authority to publish: the period, each
//! source, each plant's outlet (出厂水) and its network (管网水/末梢水) with
//! 水样合格率 and 指标合格率, the city's totals, every item, every failing
//! result in plain words, the standards and the laboratories, and links to
//! the same figures as CSV.
//!
//! The page has no script and its styles come from `/drinking/report.css`
//! (`dashboard/drinking-report.css`)
//! (the policy allows no inline style), whose `@media print` rules make
//! "print to PDF" give an A4 document without the navigation. Every piece
//! of data is escaped; a group without a judged sample says "—" / "无数据",
//! never 100 %.

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use envmon_core::drinking::Rate;
use envmon_core::stats::ReportPeriod;
use envmon_core::stats::drinking_period::{DrinkingPeriod, FailingResult, GroupRates, SupplyStage};

use super::drinking::period_figures;
use super::embed::escape_html;
use super::format::beijing_day;
use crate::charts::Lang;
use crate::error::ApiError;
use crate::state::AppState;

/// The report's style sheet, screen and print.
const STYLE: &str = include_str!("../../../dashboard/drinking-report.css");

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/drinking/report/{period}", get(report))
        .route("/drinking/report.css", get(style))
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        STYLE,
    )
        .into_response()
}

async fn report(
    State(app): State<AppState>,
    Path(period): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = query
        .map(|Query(map)| map)
        .map_err(|e| ApiError::BadRequest(format!("query string: {}", e.body_text())))?;
    if let Some(unknown) = query.keys().find(|k| k.as_str() != "lang") {
        return Err(ApiError::BadRequest(format!(
            "query parameter `{unknown}` is not known here"
        )));
    }
    let lang = Lang::parse("lang", query.get("lang").map(String::as_str))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let Ok(period) = period.parse::<ReportPeriod>() else {
        return Ok(not_a_period(&period, lang));
    };
    let figures = period_figures(&app, period).await?;
    let mut response = render(&figures, lang).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}

/// A page, not JSON, for a mistyped address: people reach this by hand.
fn not_a_period(text: &str, lang: Lang) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body><main><h1>{}</h1><p>{}</p></main></body></html>",
        html_lang(lang),
        lang.pick("无此报告期", "No such period"),
        lang.pick("无此报告期", "No such period"),
        escape_html(&format!(
            "{} {text:?}",
            lang.pick(
                "报告期应为季度（如 2026-Q3）或月份（如 2026-07），而不是",
                "A period is a quarter like 2026-Q3 or a month like 2026-07, not"
            )
        )),
    );
    let mut response = (StatusCode::NOT_FOUND, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn html_lang(lang: Lang) -> &'static str {
    lang.pick("zh-CN", "en")
}

/// `98.3 %` with one decimal, or "no data" when nothing was judged.
fn percent(rate: Rate, lang: Lang) -> String {
    match rate.percent() {
        Some(p) => format!("{p:.1} %"),
        None => lang.pick("无数据", "—").to_owned(),
    }
}

/// A rate's cell: the percentage, the counts beside it, and the counts as
/// data attributes for anyone reading the page by machine.
fn rate_cell(rate: Rate, lang: Lang) -> String {
    let counts = if rate.judged > 0 {
        format!(
            " <span class=\"counts\">({}/{})</span>",
            rate.passing, rate.judged
        )
    } else {
        String::new()
    };
    format!(
        "<td class=\"num\" data-judged=\"{}\" data-passing=\"{}\">{}{counts}</td>",
        rate.judged,
        rate.passing,
        percent(rate, lang)
    )
}

fn stage_name(stage: SupplyStage, lang: Lang) -> &'static str {
    match stage {
        SupplyStage::Source => lang.pick("水源水", "Source water"),
        SupplyStage::Outlet => lang.pick("出厂水", "Plant outlet"),
        SupplyStage::Network => lang.pick("管网水（末梢水）", "Network (tap) water"),
    }
}

fn stage_code(stage: SupplyStage) -> &'static str {
    match stage {
        SupplyStage::Source => "source",
        SupplyStage::Outlet => "outlet",
        SupplyStage::Network => "network",
    }
}

/// One group's row: name, samples tested, 水样合格率, 指标合格率.
fn group_row(attrs: &str, name: &str, rates: &GroupRates, lang: Lang) -> String {
    format!(
        "<tr {attrs}><th scope=\"row\">{}</th><td class=\"num\">{}</td>{}{}</tr>\n",
        escape_html(name),
        rates.samples_tested,
        rate_cell(rates.samples, lang),
        rate_cell(rates.results, lang),
    )
}

fn rates_head(first: &str, lang: Lang) -> String {
    format!(
        "<thead><tr><th scope=\"col\">{first}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead>",
        lang.pick("检测水样数", "Samples tested"),
        lang.pick("水样合格率", "Samples compliant"),
        lang.pick("指标合格率", "Results compliant"),
    )
}

fn site_name<'a>(zh: &'a str, en: &'a str, lang: Lang) -> &'a str {
    lang.pick(zh, en)
}

/// What a failing result means, in plain words.
fn failure_note(failure: &FailingResult, lang: Lang) -> &'static str {
    match failure.result.item.as_str() {
        "free_chlorine" => lang.pick(
            "游离氯是消毒后留在水中的余氯，用来在输送途中继续抑制细菌。余氯偏低说明这一段管网的持续消毒保护不足；供水单位应排查原因（管网末端滞留、管道老化等），必要时冲洗管网或补充加氯，并复测。",
            "Free chlorine is the disinfectant left in the water after treatment; it keeps bacteria from growing on the way to the tap. A low value means this part of the network lacked that protection; the supplier should find the cause (water standing at the end of a main, old pipes), flush or re-chlorinate where needed, and test again.",
        ),
        "turbidity" => lang.pick(
            "浑浊度反映水中悬浮颗粒的多少。偏高可能来自管道扰动或处理不足，颗粒也会保护微生物不被消毒，应查明原因并复测。",
            "Turbidity measures particles in the water. A high value can come from disturbed pipes or incomplete treatment, and particles can shield microbes from disinfection; the cause should be found and the water tested again.",
        ),
        "total_coliforms" | "e_coli" => lang.pick(
            "这类细菌在饮用水中不应检出；检出说明水可能受到污染或消毒不足，应立即复测、查找污染来源并告知用户。",
            "These bacteria must not be found in drinking water; finding them means the water may be contaminated or under-disinfected. The site must be re-sampled at once, the source found, and users told.",
        ),
        "chloride" => lang.pick(
            "氯化物偏高多见于长江口咸潮入侵：海水上溯时水库取水含盐量升高。对健康影响不大，但影响口感；水库会避咸蓄淡、择时取水。",
            "High chloride usually means a salt tide: sea water pushing up the Yangtze estuary raises the salt content at the reservoirs' intakes. It matters little for health but changes the taste; the reservoirs stop drawing water while it lasts.",
        ),
        _ => lang.pick(
            "该结果不符合标准限值，供水单位应查明原因、采取措施并复测。",
            "This result did not meet its limit; the supplier should find the cause, act on it and test again.",
        ),
    }
}

struct Page {
    html: String,
}

impl Page {
    fn push(&mut self, text: &str) {
        self.html.push_str(text);
    }
}

/// The whole page.
fn render(figures: &DrinkingPeriod, lang: Lang) -> String {
    let period = figures.period;
    let code = period.to_string();
    let label = match lang {
        Lang::Zh => period.label_zh(),
        Lang::En => period.label_en(),
    };
    let title = format!(
        "{} · {label}",
        lang.pick(
            "上海市生活饮用水水质报告",
            "Shanghai drinking-water quality report"
        )
    );
    let mut page = Page {
        html: String::with_capacity(32 * 1024),
    };
    page.push(&format!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"../report.css\">\n\
         </head>\n<body>\n",
        html_lang(lang),
        escape_html(&title)
    ));
    navigation(&mut page, period, lang);
    page.push("<main id=\"report\" class=\"report\">\n");
    let last_day = period.end_day().pred_opt().unwrap_or(period.end_day());
    page.push(&format!(
        "<header class=\"report-head\"><h1>{}</h1>\n<p class=\"period\" data-period=\"{}\">{}: \
         <time datetime=\"{}\">{}</time> – <time datetime=\"{}\">{}</time> {}</p>\n<p>{}</p></header>\n",
        escape_html(&title),
        escape_html(&code),
        lang.pick("报告期", "Period"),
        period.first_day(),
        period.first_day(),
        last_day,
        last_day,
        lang.pick("（北京时间）", "(Beijing time)"),
        lang.pick(
            "本报告依据已发布的实验室检测结果编制。水样合格率 = 合格水样数 ÷ 已判定水样数；指标合格率 = 合格指标项次 ÷ 已判定指标项次。未作判定的结果（如检出限高于限值）不计入；没有已判定水样的组标为“无数据”，不视为合格。",
            "This report is made from published laboratory results. Samples compliant = compliant samples ÷ samples judged; results compliant = passing results ÷ results judged. Results that could not be judged (a detection limit above the limit, say) are not counted; a group without a judged sample shows “—”, never 100 %.",
        ),
    ));
    city(&mut page, figures, lang);
    sources(&mut page, figures, lang);
    plants(&mut page, figures, lang);
    items(&mut page, figures, lang);
    failures(&mut page, figures, lang);
    basis(&mut page, figures, lang);
    page.push("</main>\n</body>\n</html>\n");
    page.html
}

fn navigation(page: &mut Page, period: ReportPeriod, lang: Lang) {
    let other = match lang {
        Lang::Zh => ("en", "English", "en"),
        Lang::En => ("zh", "中文", "zh-CN"),
    };
    let previous = period.previous();
    page.push(&format!(
        "<nav class=\"report-nav\" aria-label=\"{}\"><ul>\
         <li><a href=\"../../#drinking\">{}</a></li>\
         <li><a href=\"{previous}?lang={}\">{} {}</a></li>\
         <li><a href=\"{period}?lang={}\" lang=\"{}\" hreflang=\"{}\">{}</a></li>\
         </ul></nav>\n",
        lang.pick("报告导航", "Report navigation"),
        lang.pick("← 返回饮用水页面", "← Back to drinking water"),
        lang.as_str(),
        lang.pick("上一期：", "Previous:"),
        escape_html(&match lang {
            Lang::Zh => previous.label_zh(),
            Lang::En => previous.label_en(),
        }),
        other.0,
        other.2,
        other.2,
        other.1,
    ));
}

fn city(page: &mut Page, figures: &DrinkingPeriod, lang: Lang) {
    page.push(&format!(
        "<section class=\"keep\" aria-labelledby=\"city-title\"><h2 id=\"city-title\">{}</h2>\n\
         <table class=\"figures\" id=\"city-figures\"><caption>{}</caption>{}<tbody>\n",
        lang.pick("全市汇总", "City totals"),
        lang.pick(
            "上海市各环节水样与指标合格率",
            "Shanghai, by stage of supply"
        ),
        rates_head(lang.pick("环节", "Stage"), lang),
    ));
    for stage in [
        SupplyStage::Source,
        SupplyStage::Outlet,
        SupplyStage::Network,
    ] {
        let rates = figures.city.get(&stage).copied().unwrap_or_default();
        let attrs = format!("data-group=\"city\" data-stage=\"{}\"", stage_code(stage));
        page.push(&group_row(&attrs, stage_name(stage, lang), &rates, lang));
    }
    page.push("</tbody></table></section>\n");
}

fn sources(page: &mut Page, figures: &DrinkingPeriod, lang: Lang) {
    page.push(&format!(
        "<section aria-labelledby=\"sources-title\"><h2 id=\"sources-title\">{}</h2>\n<p>{}</p>\n",
        lang.pick("饮用水水源地", "Drinking-water sources"),
        lang.pick(
            "水源地按 GB 3838-2002 评价：基本项目执行二级保护区Ⅲ类标准（表 1），并评价集中式生活饮用水地表水源地补充项目（表 2）。",
            "Sources are judged by GB 3838-2002: the basic items against class III of the second-level protection zone (Table 1), and the supplementary items for drinking-water sources (Table 2).",
        ),
    ));
    if figures.sources.is_empty() {
        page.push(&format!(
            "<p class=\"empty\">{}</p>\n",
            lang.pick(
                "本期无已发布的水源地检测结果。",
                "No source samples were published for this period."
            )
        ));
    } else {
        page.push(&format!(
            "<table class=\"figures\" id=\"source-figures\"><caption>{}</caption>{}<tbody>\n",
            lang.pick("各水源地", "Each source"),
            rates_head(lang.pick("水源地", "Source"), lang),
        ));
        for s in &figures.sources {
            let attrs = format!("data-site=\"{}\"", escape_html(&s.station));
            page.push(&group_row(
                &attrs,
                site_name(&s.name_zh, &s.name_en, lang),
                &s.rates,
                lang,
            ));
        }
        page.push("</tbody></table>\n");
    }
    let tested: Vec<String> = figures
        .items
        .iter()
        .filter(|i| i.stage == SupplyStage::Source)
        .map(|i| escape_html(lang.pick(&i.name_zh, &i.name_en)))
        .collect();
    if !tested.is_empty() {
        page.push(&format!(
            "<p><strong>{}</strong> {}</p>\n",
            lang.pick("检测项目：", "Items tested:"),
            tested.join(lang.pick("、", ", "))
        ));
    }
    page.push("</section>\n");
}

fn plants(page: &mut Page, figures: &DrinkingPeriod, lang: Lang) {
    page.push(&format!(
        "<section aria-labelledby=\"plants-title\"><h2 id=\"plants-title\">{}</h2>\n<p>{}</p>\n\
         <div class=\"scroll\"><table class=\"figures\" id=\"plant-figures\"><caption>{}</caption>\
         <thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead>\n",
        lang.pick("水厂出厂水与管网水", "Plant outlets and their networks"),
        lang.pick(
            "出厂水与管网水（末梢水）按 GB 5749-2022《生活饮用水卫生标准》评价。",
            "Plant outlets and network (tap) points are judged by GB 5749-2022, Standards for drinking water quality.",
        ),
        lang.pick("各水厂及其供水管网", "Each plant's outlet and network"),
        lang.pick("水厂", "Plant"),
        lang.pick("环节", "Stage"),
        lang.pick("采样点数", "Sites sampled"),
        lang.pick("检测水样数", "Samples tested"),
        lang.pick("水样合格率", "Samples compliant"),
        lang.pick("指标合格率", "Results compliant"),
    ));
    for p in &figures.plants {
        let name = escape_html(site_name(&p.name_zh, &p.name_en, lang));
        let code = escape_html(&p.plant);
        page.push("<tbody>");
        for (stage, rates, points) in [
            (
                SupplyStage::Outlet,
                &p.outlet,
                usize::from(p.outlet.samples_tested > 0),
            ),
            (SupplyStage::Network, &p.network, p.network_points),
        ] {
            let head = if stage == SupplyStage::Outlet {
                format!("<th scope=\"rowgroup\" rowspan=\"2\">{name}</th>")
            } else {
                String::new()
            };
            page.push(&format!(
                "<tr data-plant=\"{code}\" data-stage=\"{}\">{head}<th scope=\"row\">{}</th>\
                 <td class=\"num\">{points}</td><td class=\"num\">{}</td>{}{}</tr>\n",
                stage_code(stage),
                stage_name(stage, lang),
                rates.samples_tested,
                rate_cell(rates.samples, lang),
                rate_cell(rates.results, lang),
            ));
        }
        page.push("</tbody>\n");
    }
    page.push("</table></div></section>\n");
}

fn items(page: &mut Page, figures: &DrinkingPeriod, lang: Lang) {
    page.push(&format!(
        "<section aria-labelledby=\"items-title\"><h2 id=\"items-title\">{}</h2>\n\
         <div class=\"scroll\"><table class=\"figures\" id=\"item-figures\"><caption>{}</caption>\
         <thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>\n",
        lang.pick("分指标结果", "Results by item"),
        lang.pick("各环节各指标的检测项次与合格率", "Results reported and compliant, by stage and item"),
        lang.pick("环节", "Stage"),
        lang.pick("指标", "Item"),
        lang.pick("检测项次", "Results reported"),
        lang.pick("合格率", "Compliant"),
    ));
    for item in &figures.items {
        page.push(&format!(
            "<tr data-stage=\"{}\" data-item=\"{}\"><td>{}</td><th scope=\"row\">{}</th>\
             <td class=\"num\">{}</td>{}</tr>\n",
            stage_code(item.stage),
            escape_html(&item.item),
            stage_name(item.stage, lang),
            escape_html(lang.pick(&item.name_zh, &item.name_en)),
            item.tested,
            rate_cell(item.rate, lang),
        ));
    }
    page.push("</tbody></table></div></section>\n");
}

fn failures(page: &mut Page, figures: &DrinkingPeriod, lang: Lang) {
    page.push(&format!(
        "<section aria-labelledby=\"failures-title\"><h2 id=\"failures-title\">{}</h2>\n",
        lang.pick("不合格结果", "Results that failed"),
    ));
    if figures.failures.is_empty() {
        page.push(&format!(
            "<p class=\"empty\" id=\"no-failures\">{}</p></section>\n",
            lang.pick(
                "本期没有不合格的检测结果。",
                "No result failed its limit in this period."
            )
        ));
        return;
    }
    page.push("<ol class=\"failures\" id=\"failure-list\">\n");
    for f in &figures.failures {
        let r = &f.result;
        let value = if r.unit.is_empty() {
            r.value_text.clone()
        } else {
            format!("{} {}", r.value_text, r.unit)
        };
        page.push(&format!(
            "<li class=\"failure\" data-site=\"{}\" data-item=\"{}\"><h3>{} · {}</h3>\n<dl>\
             <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd><time datetime=\"{}\">{}</time> ({})</dd>\
             <dt>{}</dt><dd class=\"value\" data-value=\"{}\">{}</dd>\
             <dt>{}</dt><dd class=\"limit\">{}</dd></dl>\n<p class=\"note\">{}</p></li>\n",
            escape_html(&f.station),
            escape_html(&r.item),
            escape_html(site_name(&f.name_zh, &f.name_en, lang)),
            escape_html(lang.pick(&r.name_zh, &r.name_en)),
            lang.pick("环节", "Stage"),
            stage_name(f.stage, lang),
            lang.pick("采样日期", "Sampled"),
            beijing_day(f.sampled_at),
            beijing_day(f.sampled_at),
            escape_html(&f.sample_id),
            lang.pick("结果", "Result"),
            escape_html(&r.value_text),
            escape_html(&value),
            lang.pick("限值", "Limit"),
            escape_html(r.limit_text.as_deref().unwrap_or("—")),
            failure_note(f, lang),
        ));
    }
    page.push("</ol></section>\n");
}

fn basis(page: &mut Page, figures: &DrinkingPeriod, lang: Lang) {
    let period = figures.period.to_string();
    let laboratories = if figures.laboratories.is_empty() {
        lang.pick("无", "none").to_owned()
    } else {
        figures
            .laboratories
            .iter()
            .map(|l| escape_html(l))
            .collect::<Vec<_>>()
            .join(lang.pick("、", "; "))
    };
    let csv = |path: &str| {
        format!(
            "../../api/v1/drinking/{path}?period={}&amp;format=csv",
            escape_html(&period)
        )
    };
    page.push(&format!(
        "<section class=\"keep\" aria-labelledby=\"basis-title\"><h2 id=\"basis-title\">{}</h2>\n<ul>\
         <li>GB 3838-2002 {}</li><li>GB 5749-2022 {}</li></ul>\n\
         <p id=\"laboratories\"><strong>{}</strong> {laboratories}</p>\n\
         <h3>{}</h3><ul class=\"data-links\">\
         <li><a href=\"{}\">{}</a></li><li><a href=\"{}\">{}</a></li>\
         <li><a href=\"../../api/v1/drinking/compliance?period={}\">{}</a></li></ul></section>\n",
        lang.pick("依据与数据", "Standards and data"),
        lang.pick("《地表水环境质量标准》（水源地）", "Environmental quality standards for surface water (sources)"),
        lang.pick("《生活饮用水卫生标准》（出厂水、管网水）", "Standards for drinking water quality (plant outlets, network)"),
        lang.pick("检测机构：", "Laboratories:"),
        lang.pick("开放数据（与本报告数字相同）", "Open data (the same figures as this report)"),
        csv("compliance"),
        lang.pick("合格率 CSV", "Compliance rates, CSV"),
        csv("samples"),
        lang.pick("全部检测结果 CSV", "Every result, CSV"),
        escape_html(&period),
        lang.pick("合格率 JSON", "Compliance rates, JSON"),
    ));
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use envmon_core::stats::drinking_period::PlantRates;

    use super::*;

    #[test]
    fn names_are_escaped_and_a_group_without_judged_samples_has_no_rate() {
        let figures = DrinkingPeriod {
            period: "2026-Q3".parse().unwrap(),
            city: BTreeMap::new(),
            sources: Vec::new(),
            plants: vec![PlantRates {
                plant: "plant-x".into(),
                name_zh: "<script>alert(1)</script>水厂".into(),
                name_en: "A & B plant".into(),
                outlet: GroupRates::default(),
                network: GroupRates::default(),
                network_points: 0,
            }],
            items: Vec::new(),
            failures: Vec::new(),
            laboratories: vec!["Lab \"1\"".into()],
        };
        let zh = render(&figures, Lang::Zh);
        assert!(!zh.contains("<script>"), "{zh}");
        assert!(zh.contains("&lt;script&gt;alert(1)&lt;/script&gt;水厂"));
        assert!(zh.contains("Lab &quot;1&quot;"));
        assert!(zh.contains("无数据") && !zh.contains("100.0 %"));
        let en = render(&figures, Lang::En);
        assert!(en.contains("A &amp; B plant"));
        assert!(en.contains(">—</td>"), "{en}");
    }
}
